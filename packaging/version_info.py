"""The Windows version resource of both executables (Explorer → Properties → Details).

Built from ``commandroom.__version__`` at build time, so there is no version text file to keep
in step. PyInstaller ignores the resource on other platforms.
"""

from __future__ import annotations


def version_tuple(version: str) -> tuple[int, int, int, int]:
    """``"0.1.0"`` → ``(0, 1, 0, 0)``; a non-numeric part (``"1.2.0rc1"``) counts up to its first non-digit."""
    parts = []
    for piece in version.split(".")[:4]:
        digits = ""
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits or 0))
    return tuple((parts + [0, 0, 0, 0])[:4])  # type: ignore[return-value]


def windows_version_info(version: str, *, description: str, internal_name: str):  # noqa: ANN201 - VSVersionInfo
    from PyInstaller.utils.win32.versioninfo import (
        FixedFileInfo,
        StringFileInfo,
        StringStruct,
        StringTable,
        VarFileInfo,
        VarStruct,
        VSVersionInfo,
    )

    numbers = version_tuple(version)
    return VSVersionInfo(
        ffi=FixedFileInfo(filevers=numbers, prodvers=numbers, mask=0x3F, flags=0x0, OS=0x40004, fileType=0x1,
                          subtype=0x0, date=(0, 0)),
        kids=[
            StringFileInfo([
                StringTable("080404B0", [  # zh-CN, Unicode
                    StringStruct("CompanyName", "常山县社会治理中心"),
                    StringStruct("FileDescription", description),
                    StringStruct("FileVersion", version),
                    StringStruct("InternalName", internal_name),
                    StringStruct("OriginalFilename", f"{internal_name}.exe"),
                    StringStruct("ProductName", "CommandRoom 乡镇综合信息指挥室"),
                    StringStruct("ProductVersion", version),
                ]),
            ]),
            VarFileInfo([VarStruct("Translation", [0x0804, 1200])]),
        ],
    )
