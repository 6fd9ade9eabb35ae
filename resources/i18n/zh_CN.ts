<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
    <context>
        <name>AcceptDialog</name>
        <message>
            <source>Accept report</source>
            <translation>受理报告</translation>
        </message>
        <message>
            <source>Incident title</source>
            <translation>事件标题</translation>
        </message>
        <message>
            <source>Urgency</source>
            <translation>紧急程度</translation>
        </message>
        <message>
            <source>Override the routing (a reason is required)</source>
            <translation>调整路由（须填写理由）</translation>
        </message>
        <message>
            <source>Why the list's routing does not fit this report</source>
            <translation>说明清单路由为何不适用于本报告</translation>
        </message>
        <message>
            <source>Matter</source>
            <translation>事项</translation>
        </message>
        <message>
            <source>Lead department</source>
            <translation>牵头部门</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
        <message>
            <source>Accept (Enter)</source>
            <translation>受理（回车）</translation>
        </message>
        <message>
            <source>Give the incident a title.</source>
            <translation>请填写事件标题。</translation>
        </message>
        <message>
            <source>Overriding the routing needs a reason.</source>
            <translation>调整路由须填写理由。</translation>
        </message>
    </context>
    <context>
        <name>AdminView</name>
        <message>
            <source>Accounts</source>
            <translation>账号</translation>
        </message>
        <message>
            <source>Workstations</source>
            <translation>工作站</translation>
        </message>
        <message>
            <source>Audit log</source>
            <translation>审计日志</translation>
        </message>
        <message>
            <source>Scheduled jobs</source>
            <translation>定时任务</translation>
        </message>
        <message>
            <source>User name</source>
            <translation>用户名</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <source>Roles</source>
            <translation>角色</translation>
        </message>
        <message>
            <source>Scope</source>
            <translation>范围</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>disabled</source>
            <translation>已停用</translation>
        </message>
        <message>
            <source>active</source>
            <translation>正常</translation>
        </message>
        <message>
            <source>Open311 key</source>
            <translation>Open311 密钥</translation>
        </message>
        <message>
            <source>yes</source>
            <translation>有</translation>
        </message>
        <message>
            <source>user name</source>
            <translation>用户名</translation>
        </message>
        <message>
            <source>name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <source>roles, e.g. duty-officer,module-lead</source>
            <translation>角色，如 duty-officer,module-lead</translation>
        </message>
        <message>
            <source>township, or zone (QC), or empty for the county</source>
            <translation>乡镇，或片区（QC），留空为全县</translation>
        </message>
        <message>
            <source>department (liaisons)</source>
            <translation>部门（联络员填写）</translation>
        </message>
        <message>
            <source>Add account</source>
            <translation>新增账号</translation>
        </message>
        <message>
            <source>Disable</source>
            <translation>停用</translation>
        </message>
        <message>
            <source>Enable</source>
            <translation>启用</translation>
        </message>
        <message>
            <source>Set roles</source>
            <translation>设置角色</translation>
        </message>
        <message>
            <source>Issue Open311 key</source>
            <translation>签发 Open311 密钥</translation>
        </message>
        <message>
            <source>Revoke key</source>
            <translation>吊销密钥</translation>
        </message>
        <message>
            <source>Workstation</source>
            <translation>工作站</translation>
        </message>
        <message>
            <source>Last sync</source>
            <translation>最近同步</translation>
        </message>
        <message>
            <source>Sign-in</source>
            <translation>登录状态</translation>
        </message>
        <message>
            <source>valid</source>
            <translation>有效</translation>
        </message>
        <message>
            <source>revoked</source>
            <translation>已吊销</translation>
        </message>
        <message>
            <source>Revoke sign-in</source>
            <translation>吊销登录</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>操作</translation>
        </message>
        <message>
            <source>Row</source>
            <translation>记录</translation>
        </message>
        <message>
            <source>By</source>
            <translation>操作人</translation>
        </message>
        <message>
            <source>by (user name)</source>
            <translation>操作人（用户名）</translation>
        </message>
        <message>
            <source>row id</source>
            <translation>记录编号</translation>
        </message>
        <message>
            <source>from (2026-12-01)</source>
            <translation>起（2026-12-01）</translation>
        </message>
        <message>
            <source>to (2026-12-31)</source>
            <translation>止（2026-12-31）</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>查询</translation>
        </message>
        <message>
            <source>History of this row</source>
            <translation>此记录的全部历史</translation>
        </message>
        <message>
            <source>Verify the chain</source>
            <translation>校验审计链</translation>
        </message>
        <message>
            <source>Account {name}</source>
            <translation>账号 {name}</translation>
        </message>
        <message>
            <source>daily</source>
            <translation>每天</translation>
        </message>
        <message>
            <source>every {n} days</source>
            <translation>每 {n} 天</translation>
        </message>
        <message>
            <source>every {n} h</source>
            <translation>每 {n} 小时</translation>
        </message>
        <message>
            <source>every {n} min</source>
            <translation>每 {n} 分钟</translation>
        </message>
        <message>
            <source>running since {when}</source>
            <translation>自 {when} 起运行中</translation>
        </message>
        <message>
            <source>failed: {why}</source>
            <translation>失败：{why}</translation>
        </message>
        <message>
            <source>not run yet</source>
            <translation>尚未运行</translation>
        </message>
        <message>
            <source>done, {n} actions</source>
            <translation>完成，处理 {n} 项</translation>
        </message>
        <message>
            <source>done, nothing to do</source>
            <translation>完成，无待处理</translation>
        </message>
        <message>
            <source>Job</source>
            <translation>任务</translation>
        </message>
        <message>
            <source>Runs</source>
            <translation>频率</translation>
        </message>
        <message>
            <source>Last run</source>
            <translation>上次运行</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>结果</translation>
        </message>
        <message>
            <source>Next run</source>
            <translation>下次运行</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Not done: {message}</source>
            <translation>未执行：{message}</translation>
        </message>
        <message>
            <source>As of {when}.</source>
            <translation>截至 {when}。</translation>
        </message>
        <message>
            <source>{n} job(s) failed on their last run: see the reason in red; the scheduler tries again at the next run.</source>
            <translation>{n} 项任务上次运行失败：原因见红字；到下次运行时间会自动重试。</translation>
        </message>
        <message>
            <source>No job has run yet: check that the county server runs with its scheduler on.</source>
            <translation>还没有任务运行过：请确认县服务器已开启定时任务。</translation>
        </message>
        <message>
            <source>Account {name} created.</source>
            <translation>账号 {name} 已创建。</translation>
        </message>
        <message>
            <source>Password (shown once): {password}</source>
            <translation>密码（仅显示一次）：{password}</translation>
        </message>
        <message>
            <source>Open311 key (shown once): {key}</source>
            <translation>Open311 密钥（仅显示一次）：{key}</translation>
        </message>
        <message>
            <source>Select an account first.</source>
            <translation>请先选择一个账号。</translation>
        </message>
        <message>
            <source>Open311 key of {name} (shown once): {key}</source>
            <translation>{name} 的 Open311 密钥（仅显示一次）：{key}</translation>
        </message>
        <message>
            <source>Done: {name}</source>
            <translation>已完成：{name}</translation>
        </message>
        <message>
            <source>Select an account and type its roles.</source>
            <translation>请选择账号并填写角色。</translation>
        </message>
        <message>
            <source>Select a workstation first.</source>
            <translation>请先选择一个工作站。</translation>
        </message>
        <message>
            <source>Sign-in of {name} revoked.</source>
            <translation>已吊销 {name} 的登录。</translation>
        </message>
        <message>
            <source>Chain intact: {message}</source>
            <translation>审计链完整：{message}</translation>
        </message>
        <message>
            <source>Account created</source>
            <translation>新增账号</translation>
        </message>
        <message>
            <source>Account disabled</source>
            <translation>停用账号</translation>
        </message>
        <message>
            <source>Account enabled</source>
            <translation>启用账号</translation>
        </message>
        <message>
            <source>Password reset</source>
            <translation>重置密码</translation>
        </message>
        <message>
            <source>Open311 key revoked</source>
            <translation>吊销 Open311 密钥</translation>
        </message>
        <message>
            <source>Open311 key issued</source>
            <translation>签发 Open311 密钥</translation>
        </message>
        <message>
            <source>Roles changed</source>
            <translation>修改角色</translation>
        </message>
        <message>
            <source>Overdue reminders and escalation (reminder, supervision order, report to leaders)</source>
            <translation>超时催办与督办（提醒 → 督办单 → 领导通报）</translation>
        </message>
        <message>
            <source>Warnings before a deadline passes</source>
            <translation>即将超时预警</translation>
        </message>
        <message>
            <source>Supervision cards for overdue incidents and missed check-ins</source>
            <translation>超期事件与未报到的督办卡片</translation>
        </message>
        <message>
            <source>Compacting the sync change log</source>
            <translation>同步变更日志压缩</translation>
        </message>
        <message>
            <source>Removing unused photos and expired workstation tokens</source>
            <translation>清理无引用照片与过期设备令牌</translation>
        </message>
        <message>
            <source>The audit log is empty: nothing has been recorded yet.</source>
            <translation>审计日志为空：还没有任何记录。</translation>
        </message>
        <message>
            <source>Chain intact: all {count} entries check out, the newest is #{head} (fingerprint {hash}…). Write the newest number and fingerprint in the daily report: a cut-off tail shows only against them.</source>
            <translation>审计链完整：{count} 条记录全部核对无误，最新一条为 #{head}（指纹 {hash}…）。请把最新编号和指纹记入当日报告：末尾记录被删只能靠它们发现。</translation>
        </message>
        <message>
            <source>Do not change the database further; keep a copy of it and report this to the county information office.</source>
            <translation>请勿再改动数据库，先备份一份，并报告县信息中心。</translation>
        </message>
        <message>
            <source>Chain broken: entry #{first} is missing (deleted?), the numbers jump from #{before} to #{after}.</source>
            <translation>审计链在第 #{first} 条处断开：该条记录缺失（可能被删除），编号从 #{before} 直接跳到 #{after}。</translation>
        </message>
        <message>
            <source>Chain broken: entries #{first} to #{last} are missing (deleted?), the numbers jump from #{before} to #{after}.</source>
            <translation>审计链在第 #{first} 条处断开：第 #{first} 至 #{last} 条记录缺失（可能被删除），编号从 #{before} 直接跳到 #{after}。</translation>
        </message>
        <message>
            <source>an account</source>
            <translation>某账号</translation>
        </message>
        <message>
            <source>Chain broken at entry #{id} ({at}, {action}, {thing}): it no longer follows entry #{before}, so an entry before it was changed or replaced.</source>
            <translation>审计链在第 #{id} 条处断开（{at}，{action}，{thing}）：它与第 #{before} 条接不上，说明此前有记录被修改或替换。</translation>
        </message>
        <message>
            <source>Chain broken at entry #{id} ({at}, {action}, {thing}): its content was altered after it was written.</source>
            <translation>审计链在第 #{id} 条处断开（{at}，{action}，{thing}）：这条记录写入后内容被改动过。</translation>
        </message>
        <message>
            <source>Chain broken at entry #{id}: {message}</source>
            <translation>审计链在第 #{id} 条处断开：{message}</translation>
        </message>
    </context>
    <context>
        <name>AmendmentModel</name>
        <message>
            <source>Proposed amendment</source>
            <translation>清单调整建议</translation>
        </message>
        <message>
            <source>Quarter</source>
            <translation>季度</translation>
        </message>
        <message>
            <source>{year} Q{q}</source>
            <translation>{year}年第{q}季度</translation>
        </message>
        <message>
            <source>Disputes</source>
            <translation>推诿争议</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>{label} as v{n}</source>
            <translation>{label}（第 {n} 版）</translation>
        </message>
    </context>
    <context>
        <name>App</name>
        <message>
            <source>Something went wrong. Your data is safe; the error was written to the log{where}.</source>
            <translation>程序出现异常。数据不受影响，错误已写入日志{where}。</translation>
        </message>
        <message>
            <source>Unexpected error</source>
            <translation>意外错误</translation>
        </message>
    </context>
    <context>
        <name>Arbitration</name>
        <message>
            <source>Decided</source>
            <translation>已裁定</translation>
        </message>
        <message>
            <source>{days} working days {hours} h</source>
            <translation>{days} 个工作日 {hours} 小时</translation>
        </message>
        <message>
            <source>{hours} h {mins} min</source>
            <translation>{hours} 小时 {mins} 分钟</translation>
        </message>
        <message>
            <source>{mins} min</source>
            <translation>{mins} 分钟</translation>
        </message>
        <message>
            <source>Overdue by {amount}</source>
            <translation>已超时 {amount}</translation>
        </message>
        <message>
            <source>{amount} left</source>
            <translation>剩余 {amount}</translation>
        </message>
        <message>
            <source>Awaiting decision</source>
            <translation>待裁定</translation>
        </message>
        <message>
            <source>Overdue, escalated</source>
            <translation>超时已升级</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
    </context>
    <context>
        <name>ArbitrationView</name>
        <message>
            <source>Disputes awaiting the county's decision</source>
            <translation>待县级仲裁的推诿争议</translation>
        </message>
        <message>
            <source>Show decided</source>
            <translation>显示已裁定</translation>
        </message>
        <message>
            <source>Decide…</source>
            <translation>裁定…</translation>
        </message>
        <message>
            <source>A department's return contested by the township (or the township's refusal contested by the department) is decided here within two working days; past the limit the county server escalates it.</source>
            <translation>县级部门退回、乡镇有异议（或乡镇不同意退回、部门有异议）的事项在此裁定，时限两个工作日；超过时限未裁定的，由县服务器自动升级督办。</translation>
        </message>
        <message>
            <source>No dispute is waiting for a decision.</source>
            <translation>暂无待裁定的争议。</translation>
        </message>
        <message>
            <source>Decided by the county governance center</source>
            <translation>由县社会治理中心裁定</translation>
        </message>
        <message>
            <source>{number} {title} · {township} · list matter: {matter}</source>
            <translation>{number} {title} · {township} · 清单事项：{matter}</translation>
        </message>
        <message>
            <source>{side} returned it: {reason}</source>
            <translation>{side}退回：{reason}</translation>
        </message>
        <message>
            <source>Counter-proposal: {text}</source>
            <translation>改派建议：{text}</translation>
        </message>
        <message>
            <source>{side} contests ({who}, {at}): {reason}</source>
            <translation>{side}提出异议（{who}，{at}）：{reason}</translation>
        </message>
        <message>
            <source>Decide by {due} · {left} · {state}</source>
            <translation>裁定时限 {due} · {left} · {state}</translation>
        </message>
        <message>
            <source>Decision by {who}: {decision}</source>
            <translation>{who}裁定：{decision}</translation>
        </message>
        <message>
            <source>Decided; both sides will see it after their next sync.</source>
            <translation>已裁定；双方同步后即可看到。</translation>
        </message>
    </context>
    <context>
        <name>AssessmentView</name>
        <message>
            <source>Whole county</source>
            <translation>全县</translation>
        </message>
        <message>
            <source>Post score…</source>
            <translation>岗位赋分…</translation>
        </message>
        <message>
            <source>Module score…</source>
            <translation>模块评分…</translation>
        </message>
        <message>
            <source>Reverse veto…</source>
            <translation>反向否决…</translation>
        </message>
        <message>
            <source>Export to Excel…</source>
            <translation>导出 Excel…</translation>
        </message>
        <message>
            <source>Month</source>
            <translation>月份</translation>
        </message>
        <message>
            <source>Total = post score (set by the administrator) + module score (mean of the module leads' ratings) + cluster points (2 per card done on time, 1 late) + task-force points (2 per case step done by the case's deadline, 1 after it). Hover a name for the arithmetic.</source>
            <translation>合计 = 岗位赋分（管理员设置）+ 模块评分（各模块牵头人评分的平均）+ 组团积分（按时完成卡片每张 2 分，超时 1 分）+ 专班计分（在一件事时限内完成步骤每步 2 分，超时 1 分）。鼠标停在姓名上可查看计算过程。</translation>
        </message>
        <message>
            <source>Four dimensions</source>
            <translation>四维考核</translation>
        </message>
        <message>
            <source>Township assesses the departments</source>
            <translation>乡镇评部门</translation>
        </message>
        <message>
            <source>Departments assess the township</source>
            <translation>部门评乡镇</translation>
        </message>
        <message>
            <source>Two-way assessment</source>
            <translation>双向考核</translation>
        </message>
        <message>
            <source>Two-way from acts</source>
            <translation>双向考核（依操作）</translation>
        </message>
        <message>
            <source>Grid workers</source>
            <translation>网格员</translation>
        </message>
        <message>
            <source>Set by the township's leadership</source>
            <translation>由乡镇领导（值班员、模块牵头人）给出</translation>
        </message>
        <message>
            <source>Set by the lead of a module the cadre belongs to</source>
            <translation>由干部所在模块的牵头人评分</translation>
        </message>
        <message>
            <source>The township vetoes a dispatched cadre</source>
            <translation>乡镇对派驻干部行使反向否决</translation>
        </message>
        <message>
            <source>Post score</source>
            <translation>岗位赋分</translation>
        </message>
        <message>
            <source>Module score</source>
            <translation>模块评分</translation>
        </message>
        <message>
            <source>assessment_{month}.xlsx</source>
            <translation>考核_{month}.xlsx</translation>
        </message>
        <message>
            <source>Export to Excel</source>
            <translation>导出 Excel</translation>
        </message>
        <message>
            <source>Excel workbook (*.xlsx)</source>
            <translation>Excel 工作簿 (*.xlsx)</translation>
        </message>
        <message>
            <source>Could not write {path}: {error}</source>
            <translation>无法写入 {path}：{error}</translation>
        </message>
        <message>
            <source>Exported to {path}</source>
            <translation>已导出到 {path}</translation>
        </message>
    </context>
    <context>
        <name>BannerWidget</name>
        <message>
            <source>Close</source>
            <translation>关闭</translation>
        </message>
    </context>
    <context>
        <name>BoardView</name>
        <message>
            <source>New card…</source>
            <translation>新建卡片…</translation>
        </message>
        <message>
            <source>Generate supervision cards</source>
            <translation>生成督办卡</translation>
        </message>
        <message>
            <source>A card for every overdue incident and every missed check-in that has none yet (running it twice creates nothing new)</source>
            <translation>为每个超期事件和每个未按时报到生成一张督办卡（已有卡片的不重复生成）</translation>
        </message>
        <message>
            <source>Module</source>
            <translation>模块</translation>
        </message>
        <message>
            <source>Drag cards between columns, or select one and press Ctrl+←/→ to move it a column, Ctrl+↑/↓ to reorder. The strip on the left of a card darkens as it ages in its column.</source>
            <translation>拖动卡片换列；或选中卡片按 Ctrl+←/→ 移到相邻列、Ctrl+↑/↓ 调整顺序。卡片左侧色条随在列天数加深。</translation>
        </message>
        <message>
            <source>Over the work-in-progress limit</source>
            <translation>超出在办上限</translation>
        </message>
        <message>
            <source>“In progress” already holds {n} cards; the module's limit is {limit}. Finish or move one out first, or give the reason for going over the limit (it is recorded).</source>
            <translation>“进行中”已有 {n} 张卡片，本模块上限为 {limit}。请先办结或移出一张；如需超限放入，请填写理由（将记录在案）。</translation>
        </message>
    </context>
    <context>
        <name>Boards</name>
        <message>
            <source>To do</source>
            <translation>待办</translation>
        </message>
        <message>
            <source>In progress</source>
            <translation>进行中</translation>
        </message>
        <message>
            <source>Awaiting acceptance</source>
            <translation>待验收</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>已办结</translation>
        </message>
        <message>
            <source>Card</source>
            <translation>卡片</translation>
        </message>
        <message>
            <source>Conflict</source>
            <translation>冲突</translation>
        </message>
        <message>
            <source>Supervision</source>
            <translation>督办</translation>
        </message>
        <message>
            <source>Summons: {n} missed</source>
            <translation>吹哨 {n} 个未报到</translation>
        </message>
        <message>
            <source>Summons: {done}/{total} in</source>
            <translation>吹哨 {done}/{total} 已报到</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>事件</translation>
        </message>
        <message>
            <source>One-thing case</source>
            <translation>一件事</translation>
        </message>
        <message>
            <source>{days} d</source>
            <translation>{days}天</translation>
        </message>
        <message>
            <source>overdue since {when}</source>
            <translation>已超期（{when}）</translation>
        </message>
        <message>
            <source>due {when}</source>
            <translation>截止 {when}</translation>
        </message>
        <message>
            <source>County department</source>
            <translation>县级部门</translation>
        </message>
        <message>
            <source>Township module</source>
            <translation>乡镇模块</translation>
        </message>
        <message>
            <source>on time</source>
            <translation>按时</translation>
        </message>
        <message>
            <source>late</source>
            <translation>超时</translation>
        </message>
        <message>
            <source>Missed</source>
            <translation>超时未报到</translation>
        </message>
        <message>
            <source>Waiting</source>
            <translation>待报到</translation>
        </message>
        <message>
            <source>No swimlanes</source>
            <translation>不分泳道</translation>
        </message>
        <message>
            <source>Swimlanes by department</source>
            <translation>按部门分泳道</translation>
        </message>
        <message>
            <source>Swimlanes by area (village)</source>
            <translation>按片区（村社）分泳道</translation>
        </message>
        <message>
            <source>Overdue incident</source>
            <translation>超期事件</translation>
        </message>
        <message>
            <source>Missed check-in</source>
            <translation>未按时报到</translation>
        </message>
        <message>
            <source>Case step overdue</source>
            <translation>一件事步骤超时</translation>
        </message>
        <message>
            <source>A concurrent move did not take effect</source>
            <translation>同时发生的移动未生效</translation>
        </message>
        <message>
            <source>Moved at the same time by someone else</source>
            <translation>他人同时移动了这张卡片</translation>
        </message>
        <message>
            <source>WIP limit overridden</source>
            <translation>超出在办上限</translation>
        </message>
        <message>
            <source>Merged by the server</source>
            <translation>服务器已合并</translation>
        </message>
        <message>
            <source>Refused by the server</source>
            <translation>服务器拒绝</translation>
        </message>
        <message>
            <source>checked in on time</source>
            <translation>已按时报到</translation>
        </message>
        <message>
            <source>checked in {span} late</source>
            <translation>已报到（超时 {span}）</translation>
        </message>
        <message>
            <source>overdue {span}</source>
            <translation>超时 {span}</translation>
        </message>
        <message>
            <source>{span} left</source>
            <translation>剩余 {span}</translation>
        </message>
        <message>
            <source>Work-in-progress limit of the module: {limit}</source>
            <translation>本模块在办上限：{limit}</translation>
        </message>
        <message>
            <source>Module: {name}</source>
            <translation>模块：{name}</translation>
        </message>
        <message>
            <source>Column: {column}</source>
            <translation>所在列：{column}</translation>
        </message>
        <message>
            <source>Assignee: {name}</source>
            <translation>负责人：{name}</translation>
        </message>
        <message>
            <source>Due {when}</source>
            <translation>截止 {when}</translation>
        </message>
        <message>
            <source>overdue</source>
            <translation>已超期</translation>
        </message>
        <message>
            <source>{days} days in this column</source>
            <translation>在本列 {days} 天</translation>
        </message>
        <message>
            <source>Automatic supervision card: {why}</source>
            <translation>自动督办卡：{why}</translation>
        </message>
        <message>
            <source>Department: {name}</source>
            <translation>部门：{name}</translation>
        </message>
        <message>
            <source>Incident {label}</source>
            <translation>事件 {label}</translation>
        </message>
        <message>
            <source>One-thing case {label}</source>
            <translation>一件事 {label}</translation>
        </message>
        <message>
            <source>Lead: {name}</source>
            <translation>牵头人：{name}</translation>
        </message>
        <message>
            <source>Cards done more than {days} days ago are not shown ({n})</source>
            <translation>{days} 天前办结的卡片不在看板显示（共 {n} 张）</translation>
        </message>
        <message>
            <source>(none)</source>
            <translation>（无）</translation>
        </message>
        <message>
            <source>{n} supervision cards created.</source>
            <translation>已生成 {n} 张督办卡。</translation>
        </message>
        <message>
            <source>Every overdue incident and missed check-in already has its card.</source>
            <translation>每个超期事件和未按时报到都已有督办卡，无需重复生成。</translation>
        </message>
        <message>
            <source>{when} (overdue)</source>
            <translation>{when}（已超期）</translation>
        </message>
        <message>
            <source>Check in by {when}</source>
            <translation>报到时限 {when}</translation>
        </message>
        <message>
            <source>due: {level}</source>
            <translation>应督办：{level}</translation>
        </message>
        <message>
            <source>Incident {label} is not in the incident list's current view; search for it there by its number.</source>
            <translation>事件 {label} 不在事件列表当前视图中，请在事件列表按编号搜索。</translation>
        </message>
    </context>
    <context>
        <name>BreachWarningWatcher</name>
        <message>
            <source>acknowledgement</source>
            <translation>签收</translation>
        </message>
        <message>
            <source>arrival on site</source>
            <translation>到场</translation>
        </message>
        <message>
            <source>closure</source>
            <translation>办结</translation>
        </message>
        <message>
            <source>About to run out: the {clock} deadline of {township} {number} “{title}” is {due}</source>
            <translation>即将超时：{township}{number}“{title}”的{clock}时限为 {due}</translation>
        </message>
        <message>
            <source>Show</source>
            <translation>查看</translation>
        </message>
    </context>
    <context>
        <name>BriefingDialog</name>
        <message>
            <source>Daily briefing</source>
            <translation>值班日报</translation>
        </message>
        <message>
            <source>Day</source>
            <translation>日期</translation>
        </message>
        <message>
            <source>Choose…</source>
            <translation>选择…</translation>
        </message>
        <message>
            <source>Folder</source>
            <translation>保存位置</translation>
        </message>
        <message>
            <source>PDF</source>
            <translation>PDF</translation>
        </message>
        <message>
            <source>Excel</source>
            <translation>Excel</translation>
        </message>
        <message>
            <source>Files</source>
            <translation>导出文件</translation>
        </message>
        <message>
            <source>Export</source>
            <translation>导出</translation>
        </message>
        <message>
            <source>Print…</source>
            <translation>打印…</translation>
        </message>
        <message>
            <source>Print preview of the briefing (the same pages as the PDF), then print</source>
            <translation>预览值班日报（与 PDF 相同）后打印</translation>
        </message>
        <message>
            <source>Folder for the briefing</source>
            <translation>选择日报保存位置</translation>
        </message>
        <message>
            <source>Preparing the print preview…</source>
            <translation>正在准备打印预览…</translation>
        </message>
        <message>
            <source>Exporting…</source>
            <translation>正在导出…</translation>
        </message>
        <message>
            <source>Cancelled; no file was written.</source>
            <translation>已取消，未写入任何文件。</translation>
        </message>
        <message>
            <source>Export failed: {error}</source>
            <translation>导出失败：{error}</translation>
        </message>
        <message>
            <source>Written: {files}</source>
            <translation>已导出：{files}</translation>
        </message>
        <message>
            <source>Cancelling…</source>
            <translation>正在取消…</translation>
        </message>
    </context>
    <context>
        <name>CardColumnModel</name>
        <message>
            <source>Card</source>
            <translation>卡片</translation>
        </message>
    </context>
    <context>
        <name>CardDialog</name>
        <message>
            <source>New card</source>
            <translation>新建卡片</translation>
        </message>
        <message>
            <source>What is to be done</source>
            <translation>工作内容</translation>
        </message>
        <message>
            <source>Due by</source>
            <translation>截止时间</translation>
        </message>
        <message>
            <source>(no department)</source>
            <translation>（不指定部门）</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Assignee</source>
            <translation>负责人</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
    </context>
    <context>
        <name>CardPanel</name>
        <message>
            <source>← Previous column</source>
            <translation>← 上一列</translation>
        </message>
        <message>
            <source>Next column →</source>
            <translation>下一列 →</translation>
        </message>
        <message>
            <source>Linked command (township whistles, departments report)</source>
            <translation>联动指挥（乡镇吹哨、部门报到）</translation>
        </message>
        <message>
            <source>Summon…</source>
            <translation>吹哨…</translation>
        </message>
        <message>
            <source>Check in</source>
            <translation>报到</translation>
        </message>
        <message>
            <source>Escalate</source>
            <translation>督办</translation>
        </message>
        <message>
            <source>Select a card to see its details.</source>
            <translation>选中卡片查看详情。</translation>
        </message>
    </context>
    <context>
        <name>CaseCheckinModel</name>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
        <message>
            <source>Role</source>
            <translation>角色</translation>
        </message>
        <message>
            <source>Check in by</source>
            <translation>报到时限</translation>
        </message>
        <message>
            <source>Checked in</source>
            <translation>报到情况</translation>
        </message>
        <message>
            <source>Escalation</source>
            <translation>督办等级</translation>
        </message>
    </context>
    <context>
        <name>CaseListModel</name>
        <message>
            <source>Number</source>
            <translation>编号</translation>
        </message>
        <message>
            <source>Case</source>
            <translation>一件事</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Steps</source>
            <translation>步骤</translation>
        </message>
        <message>
            <source>Current step</source>
            <translation>当前步骤</translation>
        </message>
        <message>
            <source>Time limit</source>
            <translation>时限</translation>
        </message>
        <message>
            <source>This step is due {due}</source>
            <translation>本步骤时限 {due}</translation>
        </message>
        <message>
            <source>completed {when}</source>
            <translation>{when} 办结</translation>
        </message>
    </context>
    <context>
        <name>CasePanel</name>
        <message>
            <source>Select a case, or order one from the catalogue.</source>
            <translation>选择一件事办件，或从目录点单。</translation>
        </message>
        <message>
            <source>Steps (completed in order)</source>
            <translation>办理步骤（须按顺序完成）</translation>
        </message>
        <message>
            <source>Department checks in</source>
            <translation>部门报到</translation>
        </message>
        <message>
            <source>Complete the current step</source>
            <translation>完成当前步骤</translation>
        </message>
        <message>
            <source>Close the case</source>
            <translation>办结</translation>
        </message>
        <message>
            <source>Escalate (supervise)</source>
            <translation>督办</translation>
        </message>
        <message>
            <source>{number} · {type} · {township} · ordered {when}</source>
            <translation>{number} · {type} · {township} · {when} 点单</translation>
        </message>
        <message>
            <source>(number assigned by the server)</source>
            <translation>（编号由服务器分配）</translation>
        </message>
        <message>
            <source>Reform: {summary}</source>
            <translation>改革前后：{summary}</translation>
        </message>
        <message>
            <source>Departments check in</source>
            <translation>部门报到</translation>
        </message>
        <message>
            <source>Attachments (documents and photos)</source>
            <translation>材料（文件和照片）</translation>
        </message>
        <message>
            <source>Attach files…</source>
            <translation>添加附件…</translation>
        </message>
        <message>
            <source>Open</source>
            <translation>打开</translation>
        </message>
        <message>
            <source>Save a copy…</source>
            <translation>另存为…</translation>
        </message>
        <message>
            <source>Lead department: &lt;b&gt;{lead}&lt;/b&gt; · collaborating: {others}</source>
            <translation>领办部门：&lt;b&gt;{lead}&lt;/b&gt; · 协办：{others}</translation>
        </message>
        <message>
            <source>{n} working days</source>
            <translation>{n} 个工作日</translation>
        </message>
        <message>
            <source>Completed {when} ({how})</source>
            <translation>已于 {when} 办结（{how}）</translation>
        </message>
        <message>
            <source>on time</source>
            <translation>按时</translation>
        </message>
        <message>
            <source>late</source>
            <translation>超时</translation>
        </message>
        <message>
            <source>Time limit {limit}, due {due}: overdue {span}</source>
            <translation>限时 {limit}，截止 {due}：已超期 {span}</translation>
        </message>
        <message>
            <source>Time limit {limit}, due {due}: {span} left</source>
            <translation>限时 {limit}，截止 {due}：剩余 {span}</translation>
        </message>
        <message>
            <source>[escalated: {level}]</source>
            <translation>【已督办：{level}】</translation>
        </message>
        <message>
            <source>From incident {label}</source>
            <translation>来源事件 {label}</translation>
        </message>
        <message>
            <source>{done} of {total} steps done</source>
            <translation>已完成 {done}/{total} 步</translation>
        </message>
        <message>
            <source>{name}  ·  {kind} {size}  ·  {by} {when}</source>
            <translation>{name}  ·  {kind} {size}  ·  {by} {when}</translation>
        </message>
        <message>
            <source>No attachments yet.</source>
            <translation>暂无附件。</translation>
        </message>
        <message>
            <source>Attach files to the case</source>
            <translation>为一件事添加附件</translation>
        </message>
        <message>
            <source>Documents and photos ({patterns})</source>
            <translation>文件和照片 ({patterns})</translation>
        </message>
        <message>
            <source>Save a copy of the attachment</source>
            <translation>另存附件</translation>
        </message>
        <message>
            <source>Complete step {n}: {name}</source>
            <translation>完成第 {n} 步：{name}</translation>
        </message>
    </context>
    <context>
        <name>Cases</name>
        <message>
            <source>Ordered</source>
            <translation>已点单</translation>
        </message>
        <message>
            <source>Departments checking in</source>
            <translation>部门报到中</translation>
        </message>
        <message>
            <source>In progress</source>
            <translation>办理中</translation>
        </message>
        <message>
            <source>Completed</source>
            <translation>已办结</translation>
        </message>
        <message>
            <source>Escalated</source>
            <translation>已督办</translation>
        </message>
        <message>
            <source>Lead</source>
            <translation>领办</translation>
        </message>
        <message>
            <source>Collaborating</source>
            <translation>协办</translation>
        </message>
        <message>
            <source>PDF</source>
            <translation>PDF</translation>
        </message>
        <message>
            <source>Photo</source>
            <translation>照片</translation>
        </message>
        <message>
            <source>Word</source>
            <translation>Word</translation>
        </message>
        <message>
            <source>Excel</source>
            <translation>Excel</translation>
        </message>
        <message>
            <source>PowerPoint</source>
            <translation>PowerPoint</translation>
        </message>
        <message>
            <source>Office file</source>
            <translation>Office 文件</translation>
        </message>
    </context>
    <context>
        <name>CasesView</name>
        <message>
            <source>One-thing catalogue</source>
            <translation>一件事目录</translation>
        </message>
        <message>
            <source>Township's order…</source>
            <translation>乡镇点单…</translation>
        </message>
        <message>
            <source>From an incident…</source>
            <translation>从事件发起…</translation>
        </message>
        <message>
            <source>★ named in the article (6 of 17); the other entries are proposed and not the official list.</source>
            <translation>★ 为文中点名的 6 项（共 17 项）；其余为拟议条目，并非正式目录。</translation>
        </message>
        <message>
            <source>Cases</source>
            <translation>一件事办件</translation>
        </message>
        <message>
            <source>Open</source>
            <translation>在办</translation>
        </message>
        <message>
            <source>Completed</source>
            <translation>已办结</translation>
        </message>
        <message>
            <source>All</source>
            <translation>全部</translation>
        </message>
        <message>
            <source>One-thing catalogue ({n})</source>
            <translation>一件事目录（{n} 项）</translation>
        </message>
        <message>
            <source>Open a one-thing case</source>
            <translation>发起一件事</translation>
        </message>
        <message>
            <source>Not attached: {why}</source>
            <translation>未添加附件：{why}</translation>
        </message>
        <message>
            <source>This workstation is not connected to the county server; the file cannot be fetched.</source>
            <translation>本机未连接县服务器，无法下载此文件；联网后再打开。</translation>
        </message>
        <message>
            <source>The file could not be fetched; try again later.</source>
            <translation>文件下载失败，请稍后再试。</translation>
        </message>
        <message>
            <source>The copy could not be saved ({why}); choose another folder.</source>
            <translation>未能保存副本（{why}），请另选文件夹。</translation>
        </message>
        <message>
            <source>Saved a copy: {path}</source>
            <translation>已另存副本：{path}</translation>
        </message>
    </context>
    <context>
        <name>CatalogueModel</name>
        <message>
            <source>One thing</source>
            <translation>一件事</translation>
        </message>
        <message>
            <source>Lead department</source>
            <translation>牵头部门</translation>
        </message>
        <message>
            <source>Steps</source>
            <translation>步骤</translation>
        </message>
        <message>
            <source>Time limit</source>
            <translation>时限</translation>
        </message>
        <message>
            <source>{n} working days</source>
            <translation>{n} 个工作日</translation>
        </message>
        <message>
            <source>Open</source>
            <translation>在办</translation>
        </message>
        <message>
            <source>Named in the article (one of the six)</source>
            <translation>文中点名的 6 项之一</translation>
        </message>
        <message>
            <source>Proposed entry: plausible, not the official list</source>
            <translation>拟议条目：仅供参考，非正式目录</translation>
        </message>
        <message>
            <source>Steps: {steps}</source>
            <translation>步骤：{steps}</translation>
        </message>
        <message>
            <source>Collaborating: {names}</source>
            <translation>协办部门：{names}</translation>
        </message>
    </context>
    <context>
        <name>CheckinDialog</name>
        <message>
            <source>Name(s) of who attends</source>
            <translation>到场人员姓名</translation>
        </message>
        <message>
            <source>e.g. today 14:30, on site</source>
            <translation>如：今天14:30到现场</translation>
        </message>
        <message>
            <source>Anything the township should know (optional)</source>
            <translation>需要乡镇知道的情况（可不填）</translation>
        </message>
        <message>
            <source>Who attends</source>
            <translation>到场人员</translation>
        </message>
        <message>
            <source>When</source>
            <translation>到场时间</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
    </context>
    <context>
        <name>CheckinModel</name>
        <message>
            <source>Summoned for</source>
            <translation>吹哨事由</translation>
        </message>
        <message>
            <source>Summoned</source>
            <translation>被召集单位</translation>
        </message>
        <message>
            <source>Check in by</source>
            <translation>报到时限</translation>
        </message>
        <message>
            <source>Countdown</source>
            <translation>倒计时</translation>
        </message>
        <message>
            <source>Checked in</source>
            <translation>报到情况</translation>
        </message>
        <message>
            <source>Escalation</source>
            <translation>督办等级</translation>
        </message>
    </context>
    <context>
        <name>CloseDialog</name>
        <message>
            <source>Close incident</source>
            <translation>办结事件</translation>
        </message>
        <message>
            <source>Closing needs</source>
            <translation>结案要求</translation>
        </message>
        <message>
            <source>Missing</source>
            <translation>尚缺</translation>
        </message>
        <message>
            <source>How it was resolved (required)</source>
            <translation>处置结果（必填）</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>处置结果</translation>
        </message>
        <message>
            <source>Photos before</source>
            <translation>处置前照片</translation>
        </message>
        <message>
            <source>Photos after</source>
            <translation>处置后照片</translation>
        </message>
        <message>
            <source>Why close without what is missing (counted in the assessment)</source>
            <translation>说明为何在缺项情况下结案（计入考核）</translation>
        </message>
        <message>
            <source>Reason to close anyway</source>
            <translation>强制结案理由</translation>
        </message>
        <message>
            <source>photos before</source>
            <translation>处置前照片</translation>
        </message>
        <message>
            <source>photos after</source>
            <translation>处置后照片</translation>
        </message>
        <message>
            <source>the grid worker's check</source>
            <translation>网格员核查</translation>
        </message>
        <message>
            <source>nothing: it may be closed</source>
            <translation>无，可以结案</translation>
        </message>
    </context>
    <context>
        <name>CommandView</name>
        <message>
            <source>Not checked in yet</source>
            <translation>未报到</translation>
        </message>
        <message>
            <source>All check-ins</source>
            <translation>全部报到记录</translation>
        </message>
        <message>
            <source>Summon for an incident…</source>
            <translation>就事件吹哨…</translation>
        </message>
        <message>
            <source>Check in</source>
            <translation>报到</translation>
        </message>
        <message>
            <source>Escalate</source>
            <translation>督办</translation>
        </message>
        <message>
            <source>A summoned county department or township module must check in (report) before its time runs out. A missed check-in is escalated: reminder → supervision order → leader notice; the county centre sees the same list for the whole county.</source>
            <translation>被召集的县级部门或乡镇模块须在时限内报到。超时未报到逐级督办：提醒 → 督办单 → 领导通报；县社会治理中心可查看全县同一清单。</translation>
        </message>
        <message>
            <source>Missed {missed} · waiting {waiting} · escalated {escalated}</source>
            <translation>超时未报到 {missed} · 待报到 {waiting} · 已督办 {escalated}</translation>
        </message>
        <message>
            <source>Summon for an incident</source>
            <translation>就事件吹哨</translation>
        </message>
    </context>
    <context>
        <name>ConflictModel</name>
        <message>
            <source>When</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Field</source>
            <translation>字段</translation>
        </message>
        <message>
            <source>Kept</source>
            <translation>保留值</translation>
        </message>
        <message>
            <source>Overwritten</source>
            <translation>被覆盖值</translation>
        </message>
        <message>
            <source>Record</source>
            <translation>记录</translation>
        </message>
        <message>
            <source>Rule</source>
            <translation>规则</translation>
        </message>
        <message>
            <source>By</source>
            <translation>操作人</translation>
        </message>
        <message>
            <source>Explanation</source>
            <translation>说明</translation>
        </message>
        <message>
            <source>(not on this workstation)</source>
            <translation>（本机无此记录）</translation>
        </message>
        <message>
            <source> ({n} conflicts)</source>
            <translation>（{n} 处冲突）</translation>
        </message>
        <message>
            <source>{when} {field}: kept {kept}, overwritten {lost} ({by})</source>
            <translation>{when} {field}：保留 {kept}，覆盖 {lost}（{by}）</translation>
        </message>
    </context>
    <context>
        <name>ConflictsView</name>
        <message>
            <source>Rejected or merged by the server</source>
            <translation>被服务器退回或合并的操作</translation>
        </message>
        <message>
            <source>Your change was not applied as sent. Read the reason, then redo it (you may edit it first) or dismiss it. Nothing is deleted: the journal keeps every entry.</source>
            <translation>以下修改未按原样生效。请查看原因，然后重做（可先修改）或忽略。任何记录都不会被删除，日志完整保留。</translation>
        </message>
        <message>
            <source>Redo…</source>
            <translation>重做…</translation>
        </message>
        <message>
            <source>Dismiss</source>
            <translation>忽略</translation>
        </message>
        <message>
            <source>Nothing was rejected. Every change reached the server as sent.</source>
            <translation>没有被退回的操作，所有修改均已按原样送达服务器。</translation>
        </message>
        <message>
            <source>Overwritten values and rules that intervened</source>
            <translation>被覆盖的值与介入的规则</translation>
        </message>
    </context>
    <context>
        <name>CrashDialog</name>
        <message>
            <source>A crash report was saved to:
{path}
Please send this file to your support contact.</source>
            <translation>崩溃报告已保存到：
{path}
请把这个文件发给技术支持人员。</translation>
        </message>
        <message>
            <source>Copy report</source>
            <translation>复制报告</translation>
        </message>
    </context>
    <context>
        <name>DecideDialog</name>
        <message>
            <source>Decide the dispute</source>
            <translation>县级仲裁裁定</translation>
        </message>
        <message>
            <source>Township ({town}): {treason}
Department ({dept}): {dreason}
Counter-proposal: {prop}</source>
            <translation>乡镇（{town}）：{treason}
部门（{dept}）：{dreason}
改派建议：{prop}</translation>
        </message>
        <message>
            <source>A county department handles it</source>
            <translation>由县级部门办理</translation>
        </message>
        <message>
            <source>The township handles it (its own duty)</source>
            <translation>由乡镇属地办理</translation>
        </message>
        <message>
            <source>Reason (required): the list matter, the facts</source>
            <translation>理由（必填）：依据的清单事项和事实</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
    </context>
    <context>
        <name>Department</name>
        <message>
            <source>Incident</source>
            <translation>事件</translation>
        </message>
        <message>
            <source>Summons</source>
            <translation>吹哨报到</translation>
        </message>
        <message>
            <source>One-thing case check-in</source>
            <translation>一件事报到</translation>
        </message>
        <message>
            <source>One-thing case step</source>
            <translation>一件事环节</translation>
        </message>
        <message>
            <source>Assigned to us</source>
            <translation>交办本部门</translation>
        </message>
        <message>
            <source>Lead department</source>
            <translation>牵头部门</translation>
        </message>
        <message>
            <source>Collaborating</source>
            <translation>协办</translation>
        </message>
        <message>
            <source>Summoned</source>
            <translation>被召集</translation>
        </message>
        <message>
            <source>Leads the case</source>
            <translation>领办</translation>
        </message>
        <message>
            <source>Collaborates on the case</source>
            <translation>协办一件事</translation>
        </message>
        <message>
            <source>Sign for it</source>
            <translation>签收时限</translation>
        </message>
        <message>
            <source>Be on site</source>
            <translation>到场时限</translation>
        </message>
        <message>
            <source>Finish</source>
            <translation>办结时限</translation>
        </message>
        <message>
            <source>Check in</source>
            <translation>报到</translation>
        </message>
        <message>
            <source>Case time limit</source>
            <translation>一件事时限</translation>
        </message>
        <message>
            <source>Waiting for check-in</source>
            <translation>待报到</translation>
        </message>
        <message>
            <source>Checked in</source>
            <translation>已报到</translation>
        </message>
        <message>
            <source>Overdue, escalated</source>
            <translation>超时已升级</translation>
        </message>
        <message>
            <source>Next step: {step}</source>
            <translation>下一环节：{step}</translation>
        </message>
        <message>
            <source>Progress</source>
            <translation>进展</translation>
        </message>
        <message>
            <source>Return</source>
            <translation>退回</translation>
        </message>
    </context>
    <context>
        <name>DepartmentFiguresModel</name>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
        <message>
            <source>Sign-for on time (own)</source>
            <translation>本部门按时签收率</translation>
        </message>
        <message>
            <source>Sign-for acts</source>
            <translation>签收情况</translation>
        </message>
        <message>
            <source>Check-in on time (own)</source>
            <translation>本部门按时报到率</translation>
        </message>
        <message>
            <source>Check-in acts</source>
            <translation>报到情况</translation>
        </message>
        <message>
            <source>Returns upheld / overturned</source>
            <translation>退回 维持 / 撤销</translation>
        </message>
        <message>
            <source>Case steps within limit</source>
            <translation>一件事环节按时率</translation>
        </message>
        <message>
            <source>Townships' rating</source>
            <translation>乡镇评价</translation>
        </message>
    </context>
    <context>
        <name>DepartmentIndicatorModel</name>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
        <message>
            <source>Check-ins due</source>
            <translation>应报到</translation>
        </message>
        <message>
            <source>On time / late / missed</source>
            <translation>按时 / 超时 / 未报到</translation>
        </message>
        <message>
            <source>Check-in on time</source>
            <translation>按时报到率</translation>
        </message>
        <message>
            <source>Led incidents closed</source>
            <translation>牵头办结</translation>
        </message>
        <message>
            <source>Closed on time</source>
            <translation>按时办结率</translation>
        </message>
        <message>
            <source>Dispatched / returned</source>
            <translation>派单 / 退回</translation>
        </message>
        <message>
            <source>Return rate</source>
            <translation>退回率</translation>
        </message>
        <message>
            <source>Acceptance median (min)</source>
            <translation>签收用时中位数（分钟）</translation>
        </message>
        <message>
            <source>Acceptance P90 (min)</source>
            <translation>签收用时P90（分钟）</translation>
        </message>
    </context>
    <context>
        <name>DepartmentView</name>
        <message>
            <source>Department workspace</source>
            <translation>部门工作台</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>All townships</source>
            <translation>全部乡镇</translation>
        </message>
        <message>
            <source>Sign for it (签收)</source>
            <translation>签收</translation>
        </message>
        <message>
            <source>Check in (报到)…</source>
            <translation>报到…</translation>
        </message>
        <message>
            <source>Progress…</source>
            <translation>进展…</translation>
        </message>
        <message>
            <source>Finish our part (办结)</source>
            <translation>办结本部门环节</translation>
        </message>
        <message>
            <source>Return (退回)…</source>
            <translation>退回…</translation>
        </message>
        <message>
            <source>{department} · department workspace</source>
            <translation>{department} · 部门工作台</translation>
        </message>
        <message>
            <source>{open} open · {overdue} overdue · {checkin} waiting for our check-in</source>
            <translation>待办 {open} 项 · 超时 {overdue} 项 · 待本部门报到 {checkin} 项</translation>
        </message>
        <message>
            <source>Returned: the township and the county see the reason and your proposal.</source>
            <translation>已退回：乡镇和县里都能看到退回理由和处理建议。</translation>
        </message>
    </context>
    <context>
        <name>DepartmentWorkWatcher</name>
        <message>
            <source>New assignment for your department: {township} {number} “{title}”</source>
            <translation>本部门有新交办：{township} {number}“{title}”</translation>
        </message>
        <message>
            <source>Your department is summoned: {township} {number} “{title}”; check in</source>
            <translation>本部门被吹哨召集：{township} {number}“{title}”，请报到</translation>
        </message>
        <message>
            <source>New one-thing case for your department: {township} {number} “{title}”</source>
            <translation>本部门有新的一件事：{township} {number}“{title}”</translation>
        </message>
        <message>
            <source>Escalated: {township} {number} “{title}”</source>
            <translation>已升级督办：{township} {number}“{title}”</translation>
        </message>
        <message>
            <source>Show</source>
            <translation>查看</translation>
        </message>
    </context>
    <context>
        <name>DiffModel</name>
        <message>
            <source>Change</source>
            <translation>变化</translation>
        </message>
        <message>
            <source>Code</source>
            <translation>编码</translation>
        </message>
        <message>
            <source>Matter</source>
            <translation>事项</translation>
        </message>
        <message>
            <source>Changed field</source>
            <translation>修改字段</translation>
        </message>
        <message>
            <source>In force now</source>
            <translation>现行版本</translation>
        </message>
        <message>
            <source>New version</source>
            <translation>新版本</translation>
        </message>
    </context>
    <context>
        <name>DispatchDialog</name>
        <message>
            <source>Dispatch incident</source>
            <translation>派单</translation>
        </message>
        <message>
            <source>County department</source>
            <translation>县级部门</translation>
        </message>
        <message>
            <source>Zone enforcement team</source>
            <translation>片区综合执法队</translation>
        </message>
        <message>
            <source>Dispatch to</source>
            <translation>派往</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
        <message>
            <source>{zone} team</source>
            <translation>{zone}执法队</translation>
        </message>
        <message>
            <source>Team</source>
            <translation>执法队</translation>
        </message>
        <message>
            <source>Members</source>
            <translation>队员</translation>
        </message>
        <message>
            <source>On-site lead</source>
            <translation>现场负责人</translation>
        </message>
        <message>
            <source>Instructions for the assignee (optional)</source>
            <translation>对承办方的要求（选填）</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>派单要求</translation>
        </message>
        <message>
            <source>available</source>
            <translation>空闲</translation>
        </message>
        <message>
            <source>en route</source>
            <translation>在途</translation>
        </message>
        <message>
            <source>on scene</source>
            <translation>在现场</translation>
        </message>
        <message>
            <source>off duty</source>
            <translation>休息</translation>
        </message>
        <message>
            <source>auxiliary</source>
            <translation>辅助人员</translation>
        </message>
        <message>
            <source>{name} can go with the team but cannot be the on-site lead</source>
            <translation>{name} 可随队出发，但不能担任现场负责人</translation>
        </message>
        <message>
            <source>(none)</source>
            <translation>（无）</translation>
        </message>
        <message>
            <source>auxiliary, cannot lead</source>
            <translation>辅助人员，不能主办</translation>
        </message>
        <message>
            <source>no enforcement certificate</source>
            <translation>无执法证</translation>
        </message>
        <message>
            <source>certificate expired {date}</source>
            <translation>执法证已于 {date} 过期</translation>
        </message>
    </context>
    <context>
        <name>DispatchModel</name>
        <message>
            <source>{zone} team</source>
            <translation>{zone}执法队</translation>
        </message>
        <message>
            <source>{name} (lead)</source>
            <translation>{name}（负责）</translation>
        </message>
    </context>
    <context>
        <name>DisputeModel</name>
        <message>
            <source>Incident</source>
            <translation>事件</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
        <message>
            <source>Contested by</source>
            <translation>提出异议方</translation>
        </message>
        <message>
            <source>Township's reason</source>
            <translation>乡镇理由</translation>
        </message>
        <message>
            <source>Department's reason</source>
            <translation>部门理由</translation>
        </message>
        <message>
            <source>Counter-proposal</source>
            <translation>改派建议</translation>
        </message>
        <message>
            <source>Decide by</source>
            <translation>裁定时限</translation>
        </message>
        <message>
            <source>Time left</source>
            <translation>剩余时间</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
    </context>
    <context>
        <name>FourDimensionModel</name>
        <message>
            <source>Cadre</source>
            <translation>干部</translation>
        </message>
        <message>
            <source>Modules</source>
            <translation>所在模块</translation>
        </message>
        <message>
            <source>Post (admin)</source>
            <translation>岗位赋分</translation>
        </message>
        <message>
            <source>Module (lead)</source>
            <translation>模块评分</translation>
        </message>
        <message>
            <source>Cluster (cards)</source>
            <translation>组团积分</translation>
        </message>
        <message>
            <source>Task force (case steps)</source>
            <translation>专班计分</translation>
        </message>
        <message>
            <source>Total</source>
            <translation>合计</translation>
        </message>
        <message>
            <source>Reverse veto</source>
            <translation>反向否决</translation>
        </message>
        <message>
            <source> (dispatched)</source>
            <translation>（派驻）</translation>
        </message>
        <message>
            <source> (mean of {n})</source>
            <translation>（{n} 个模块平均）</translation>
        </message>
        <message>
            <source>Vetoed: {reason}</source>
            <translation>已否决：{reason}</translation>
        </message>
        <message>
            <source>Not eligible for awards this month</source>
            <translation>本月不得评优评先</translation>
        </message>
    </context>
    <context>
        <name>GridWorkerModel</name>
        <message>
            <source>Grid worker</source>
            <translation>网格员</translation>
        </message>
        <message>
            <source>Reports</source>
            <translation>上报数</translation>
        </message>
        <message>
            <source>Accepted</source>
            <translation>受理</translation>
        </message>
        <message>
            <source>Merged</source>
            <translation>合并(重复)</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>不予受理</translation>
        </message>
        <message>
            <source>Pending</source>
            <translation>待处理</translation>
        </message>
        <message>
            <source>Triage median (min)</source>
            <translation>核实用时中位数（分钟）</translation>
        </message>
    </context>
    <context>
        <name>Handover</name>
        <message>
            <source>Daily duty briefing</source>
            <translation>值班日报</translation>
        </message>
        <message>
            <source>Changshan county</source>
            <translation>常山县</translation>
        </message>
        <message>
            <source>Day</source>
            <translation>日期</translation>
        </message>
        <message>
            <source>Figures as of</source>
            <translation>统计截至</translation>
        </message>
        <message>
            <source>Generated</source>
            <translation>生成时间</translation>
        </message>
        <message>
            <source>Summary</source>
            <translation>概况</translation>
        </message>
        <message>
            <source>Figure</source>
            <translation>指标</translation>
        </message>
        <message>
            <source>Value</source>
            <translation>数值</translation>
        </message>
        <message>
            <source>New incidents</source>
            <translation>新增事件</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>办结</translation>
        </message>
        <message>
            <source>Closed on time</source>
            <translation>按时办结</translation>
        </message>
        <message>
            <source>On-time closure rate</source>
            <translation>按时办结率</translation>
        </message>
        <message>
            <source>Open</source>
            <translation>未办结</translation>
        </message>
        <message>
            <source>Overdue</source>
            <translation>超时</translation>
        </message>
        <message>
            <source>Returned</source>
            <translation>退回</translation>
        </message>
        <message>
            <source>Escalated</source>
            <translation>上报</translation>
        </message>
        <message>
            <source>By township</source>
            <translation>分乡镇统计</translation>
        </message>
        <message>
            <source>By category</source>
            <translation>分类别统计</translation>
        </message>
        <message>
            <source>Open incidents by state</source>
            <translation>未办结事件（按状态）</translation>
        </message>
        <message>
            <source>Overdue incidents</source>
            <translation>超时事件清单</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>类别</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Count</source>
            <translation>数量</translation>
        </message>
        <message>
            <source>No.</source>
            <translation>编号</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>事件</translation>
        </message>
        <message>
            <source>Clock</source>
            <translation>时限</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>到期时间</translation>
        </message>
        <message>
            <source>Late by</source>
            <translation>超时时长</translation>
        </message>
        <message>
            <source>Assigned to</source>
            <translation>承办</translation>
        </message>
        <message>
            <source>Supervision</source>
            <translation>督办</translation>
        </message>
        <message>
            <source>None</source>
            <translation>无</translation>
        </message>
        <message>
            <source>… and {n} more (see the Excel workbook)</source>
            <translation>……另有 {n} 件，详见 Excel 表</translation>
        </message>
        <message>
            <source>Open then, closed since</source>
            <translation>当日未办结（已于其后办结）</translation>
        </message>
        <message>
            <source>All townships</source>
            <translation>全部乡镇</translation>
        </message>
        <message>
            <source>{zone} team</source>
            <translation>{zone}执法队</translation>
        </message>
        <message>
            <source>Photos of the day's closures</source>
            <translation>当日结案现场照片</translation>
        </message>
        <message>
            <source>Before</source>
            <translation>处置前</translation>
        </message>
        <message>
            <source>After</source>
            <translation>处置后</translation>
        </message>
        <message>
            <source>Closed at</source>
            <translation>结案时间</translation>
        </message>
        <message>
            <source>none</source>
            <translation>无</translation>
        </message>
        <message>
            <source>photo not on this workstation yet</source>
            <translation>照片尚未下载到本机</translation>
        </message>
    </context>
    <context>
        <name>HandoverDialog</name>
        <message>
            <source>Shift handover</source>
            <translation>交接班</translation>
        </message>
        <message>
            <source>Recompute</source>
            <translation>重新汇总</translation>
        </message>
        <message>
            <source>Print…</source>
            <translation>打印…</translation>
        </message>
        <message>
            <source>Print preview of the handover sheet, then print</source>
            <translation>预览交接班单后打印</translation>
        </message>
        <message>
            <source>Open incidents</source>
            <translation>未办结事件</translation>
        </message>
        <message>
            <source>Due within 4 h</source>
            <translation>4小时内到期</translation>
        </message>
        <message>
            <source>Overdue</source>
            <translation>已超时</translation>
        </message>
        <message>
            <source>Check-ins waiting</source>
            <translation>待报到</translation>
        </message>
        <message>
            <source>Not yet synced</source>
            <translation>未同步</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Count</source>
            <translation>数量</translation>
        </message>
        <message>
            <source>No.</source>
            <translation>编号</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>事件</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>Clock</source>
            <translation>时限</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>到期时间</translation>
        </message>
        <message>
            <source>Assigned to</source>
            <translation>承办</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
        <message>
            <source>Case / incident</source>
            <translation>事项 / 事件</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Due soon</source>
            <translation>即将到期</translation>
        </message>
        <message>
            <source>Check-ins</source>
            <translation>部门报到</translation>
        </message>
        <message>
            <source>Open by state</source>
            <translation>按状态</translation>
        </message>
        <message>
            <source>What the next shift must know: calls promised, leaders to inform, equipment, the wall screen…</source>
            <translation>需下一班知晓的事项：待回电、需报告领导的情况、设备、大屏……</translation>
        </message>
        <message>
            <source>Notes</source>
            <translation>交班备注</translation>
        </message>
        <message>
            <source>Name of the officer taking over</source>
            <translation>接班人姓名</translation>
        </message>
        <message>
            <source>Outgoing</source>
            <translation>交班人</translation>
        </message>
        <message>
            <source>Incoming</source>
            <translation>接班人</translation>
        </message>
        <message>
            <source>Officers</source>
            <translation>交接人员</translation>
        </message>
        <message>
            <source>Outgoing officer: I handed over the items above</source>
            <translation>交班人：以上事项已交代清楚</translation>
        </message>
        <message>
            <source>Incoming officer: I take them over</source>
            <translation>接班人：已知悉并接收</translation>
        </message>
        <message>
            <source>Sign-off</source>
            <translation>双方确认</translation>
        </message>
        <message>
            <source>Sign handover</source>
            <translation>签字交接</translation>
        </message>
        <message>
            <source>The summary could not be computed: {error}</source>
            <translation>交接汇总失败：{error}</translation>
        </message>
        <message>
            <source>Shift handover · {scope} · {when}</source>
            <translation>交接班 · {scope} · {when}</translation>
        </message>
        <message>
            <source>whole county</source>
            <translation>全县</translation>
        </message>
        <message>
            <source>{due} (late {span})</source>
            <translation>{due}（已超 {span}）</translation>
        </message>
        <message>
            <source>{due} (in {span})</source>
            <translation>{due}（剩 {span}）</translation>
        </message>
        <message>
            <source>{zone} team</source>
            <translation>{zone}执法队</translation>
        </message>
        <message>
            <source>Waiting</source>
            <translation>待报到</translation>
        </message>
        <message>
            <source>Due soon ({n})</source>
            <translation>即将到期（{n}）</translation>
        </message>
        <message>
            <source>Overdue ({n})</source>
            <translation>已超时（{n}）</translation>
        </message>
        <message>
            <source>Check-ins ({n})</source>
            <translation>部门报到（{n}）</translation>
        </message>
        <message>
            <source>Handover signed at {time}: {outgoing} handed over to {incoming}.</source>
            <translation>交接班已于 {time} 签字：{outgoing} 交班，{incoming} 接班。</translation>
        </message>
    </context>
    <context>
        <name>HolidayScheduleView</name>
        <message>
            <source>Holiday schedules</source>
            <translation>节假日安排</translation>
        </message>
        <message>
            <source>Read-only: only the county governance centre publishes a year.</source>
            <translation>只读：仅县社会治理中心可发布节假日安排。</translation>
        </message>
        <message>
            <source>Deadlines count working days: the statutory holidays do not count, the make-up working days (调休上班) do. The county publishes each year once the State Council's notice is out; every desk receives it with the reference data.</source>
            <translation>时限按工作日计算：法定节假日不计，调休上班日照常计入。国务院办公厅通知发布后，由县里在此发布当年安排，各工作站随基础数据同步收到。</translation>
        </message>
        <message>
            <source>Published years</source>
            <translation>已发布的年份</translation>
        </message>
        <message>
            <source>No year published on this desk yet.</source>
            <translation>本工作站尚无已发布的年份。</translation>
        </message>
        <message>
            <source>Publish a year's schedule</source>
            <translation>发布年度节假日安排</translation>
        </message>
        <message>
            <source>e.g. 国务院办公厅关于2027年部分节假日安排的通知</source>
            <translation>例如：国务院办公厅关于2027年部分节假日安排的通知</translation>
        </message>
        <message>
            <source>Year</source>
            <translation>年份</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>来源</translation>
        </message>
        <message>
            <source>Holidays (放假)</source>
            <translation>放假日期</translation>
        </message>
        <message>
            <source>Make-up working days (调休上班)</source>
            <translation>调休上班日期</translation>
        </message>
        <message>
            <source>One item per line, or separated by commas, spaces or 、. An item is a date (2027-02-06, 2027/2/6, 2月6日 — without a year it is in the year above) or a range (2027-02-06~2027-02-13, 2027-02-06-2027-02-13, 2月6日至13日).</source>
            <translation>每行一项，或用逗号、空格、顿号分隔。每项是一个日期（2027-02-06、2027/2/6、2月6日——不写年份即为上方所选年份）或一个日期范围（2027-02-06~2027-02-13、2027-02-06-2027-02-13、2月6日至13日）。</translation>
        </message>
        <message>
            <source>Copy the selected year into the editor</source>
            <translation>将所选年份复制到编辑区</translation>
        </message>
        <message>
            <source>To correct a published year: publishing it again replaces it.</source>
            <translation>用于更正已发布的年份：再次发布将替换原安排。</translation>
        </message>
        <message>
            <source>Publish</source>
            <translation>发布</translation>
        </message>
        <message>
            <source>Reading the published years…</source>
            <translation>正在读取已发布的年份…</translation>
        </message>
        <message>
            <source>{year}: published by the county on {date} ({source})</source>
            <translation>{year}年：县里已于 {date} 发布（{source}）</translation>
        </message>
        <message>
            <source>{year}: known from the calendar package</source>
            <translation>{year}年：日历包已收录</translation>
        </message>
        <message>
            <source>{year}: not published — working days are counted Monday–Friday; deadlines over the holidays will be wrong</source>
            <translation>{year}年：未发布——工作日按周一至周五计算，节假日期间的时限将不准确</translation>
        </message>
        <message>
            <source>Days of {year}</source>
            <translation>{year}年各月</translation>
        </message>
        <message>
            <source>Days</source>
            <translation>各月日期</translation>
        </message>
        <message>
            <source>Holidays</source>
            <translation>放假</translation>
        </message>
        <message>
            <source>Make-up working days</source>
            <translation>调休上班</translation>
        </message>
        <message>
            <source>Type the holidays and the make-up working days of {year} as the notice lists them.</source>
            <translation>请按通知录入{year}年的放假日期和调休上班日期。</translation>
        </message>
        <message>
            <source>{year}: {holidays} holiday days, {workdays} make-up working days</source>
            <translation>{year}年：放假 {holidays} 天，调休上班 {workdays} 天</translation>
        </message>
        <message>
            <source>Working on: {days}</source>
            <translation>调休上班：{days}</translation>
        </message>
        <message>
            <source>{year} was published on {date}; publishing replaces it.</source>
            <translation>{year} 年已于 {date} 发布，再次发布将替换它。</translation>
        </message>
        <message>
            <source>{field}: cannot read “{item}” — write a date (2027-02-06, 2/6, 2月6日) or a range (2027-02-06~2027-02-13, 2月6日至13日)</source>
            <translation>{field}：无法识别“{item}”——请写日期（2027-02-06、2/6、2月6日）或日期范围（2027-02-06~2027-02-13、2月6日至13日）</translation>
        </message>
        <message>
            <source>{field}: “{item}” is not a date of the calendar</source>
            <translation>{field}：“{item}”不是日历上的日期</translation>
        </message>
        <message>
            <source>{field}: “{item}” is not in {year}</source>
            <translation>{field}：“{item}”不在{year}年</translation>
        </message>
        <message>
            <source>{field}: “{item}” ends before it starts</source>
            <translation>{field}：“{item}”的结束日期早于开始日期</translation>
        </message>
        <message>
            <source>{field}: “{item}” is longer than a month</source>
            <translation>{field}：“{item}”超过一个月</translation>
        </message>
        <message>
            <source>List at least one holiday.</source>
            <translation>请至少录入一天放假日期。</translation>
        </message>
        <message>
            <source>Name the source: the notice the schedule comes from.</source>
            <translation>请填写来源：安排所依据的通知。</translation>
        </message>
        <message>
            <source>{day} is listed both as a holiday and as a make-up working day.</source>
            <translation>{day}同时被列为放假日和调休上班日。</translation>
        </message>
        <message>
            <source>{day} is a weekday: a make-up working day is a Saturday or Sunday.</source>
            <translation>{day}是工作日：调休上班只能是周六或周日。</translation>
        </message>
        <message>
            <source>At most {n} days per list.</source>
            <translation>每项最多 {n} 天。</translation>
        </message>
        <message>
            <source>Published {year}: {holidays} holiday days, {workdays} make-up working days. Every desk receives it with the next sync.</source>
            <translation>已发布 {year} 年：放假 {holidays} 天，调休上班 {workdays} 天。各工作站将在下次同步时收到。</translation>
        </message>
    </context>
    <context>
        <name>Holidays</name>
        <message>
            <source>New Year's Day</source>
            <translation>元旦</translation>
        </message>
        <message>
            <source>Spring Festival</source>
            <translation>春节</translation>
        </message>
        <message>
            <source>Qingming</source>
            <translation>清明节</translation>
        </message>
        <message>
            <source>Labour Day</source>
            <translation>劳动节</translation>
        </message>
        <message>
            <source>Dragon Boat Festival</source>
            <translation>端午节</translation>
        </message>
        <message>
            <source>Mid-Autumn Festival</source>
            <translation>中秋节</translation>
        </message>
        <message>
            <source>National Day</source>
            <translation>国庆节</translation>
        </message>
        <message>
            <source>National Day and Mid-Autumn</source>
            <translation>国庆节、中秋节</translation>
        </message>
        <message>
            <source>Mon</source>
            <translation>周一</translation>
        </message>
        <message>
            <source>Tue</source>
            <translation>周二</translation>
        </message>
        <message>
            <source>Wed</source>
            <translation>周三</translation>
        </message>
        <message>
            <source>Thu</source>
            <translation>周四</translation>
        </message>
        <message>
            <source>Fri</source>
            <translation>周五</translation>
        </message>
        <message>
            <source>Sat</source>
            <translation>周六</translation>
        </message>
        <message>
            <source>Sun</source>
            <translation>周日</translation>
        </message>
        <message>
            <source>{month}/{day}</source>
            <translation>{month}月{day}日</translation>
        </message>
        <message>
            <source>{date} ({weekday})</source>
            <translation>{date}（{weekday}）</translation>
        </message>
        <message>
            <source>{month}/{first}–{last}</source>
            <translation>{month}月{first}日–{last}日</translation>
        </message>
        <message>
            <source>{date1}–{date2}</source>
            <translation>{date1}–{date2}</translation>
        </message>
        <message>
            <source>, </source>
            <translation>、</translation>
        </message>
        <message>
            <source>{dates} ({n} days)</source>
            <translation>{dates}（{n}天）</translation>
        </message>
    </context>
    <context>
        <name>InboxDialogs</name>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
    </context>
    <context>
        <name>InboxTableModel</name>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>类别</translation>
        </message>
        <message>
            <source>Grid</source>
            <translation>网格</translation>
        </message>
        <message>
            <source>Reporter</source>
            <translation>上报人</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>来源</translation>
        </message>
        <message>
            <source>Location / address</source>
            <translation>位置/地址</translation>
        </message>
        <message>
            <source>Photos</source>
            <translation>照片</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>(no location)</source>
            <translation>（无位置）</translation>
        </message>
    </context>
    <context>
        <name>InboxView</name>
        <message>
            <source>Inbox</source>
            <translation>收件箱</translation>
        </message>
        <message>
            <source>Waiting + last 7 days</source>
            <translation>待受理 + 近7天</translation>
        </message>
        <message>
            <source>Waiting only</source>
            <translation>仅待受理</translation>
        </message>
        <message>
            <source>All reports</source>
            <translation>全部报告</translation>
        </message>
        <message>
            <source>All townships</source>
            <translation>全部乡镇</translation>
        </message>
        <message>
            <source>Search description, address, reporter</source>
            <translation>搜索描述、地址、上报人</translation>
        </message>
        <message>
            <source>Accept</source>
            <translation>受理</translation>
        </message>
        <message>
            <source>Merge</source>
            <translation>合并</translation>
        </message>
        <message>
            <source>Reject</source>
            <translation>不予受理</translation>
        </message>
        <message>
            <source>Hand over</source>
            <translation>转交</translation>
        </message>
        <message>
            <source>Undo merge</source>
            <translation>撤销合并</translation>
        </message>
        <message>
            <source>{n} waiting</source>
            <translation>待受理 {n} 条</translation>
        </message>
        <message>
            <source>Select one waiting report to accept. To group several, merge them.</source>
            <translation>请选择一条待受理报告再受理；多条报告请用合并。</translation>
        </message>
        <message>
            <source>Select the waiting report(s) to merge.</source>
            <translation>请选择要合并的待受理报告。</translation>
        </message>
        <message>
            <source>{n} report(s) merged into {title}.</source>
            <translation>已将 {n} 条报告合并到「{title}」。</translation>
        </message>
        <message>
            <source>Undo</source>
            <translation>撤销</translation>
        </message>
        <message>
            <source>Merge undone: {n} report(s) are waiting again.</source>
            <translation>已撤销合并：{n} 条报告重新待受理。</translation>
        </message>
        <message>
            <source>Select the waiting report(s) to reject.</source>
            <translation>请选择要不予受理的待受理报告。</translation>
        </message>
        <message>
            <source>Select the waiting report(s) to hand over.</source>
            <translation>请先选择要转交的待受理上报。</translation>
        </message>
    </context>
    <context>
        <name>IncidentChoiceModel</name>
        <message>
            <source>Number</source>
            <translation>编号</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Created</source>
            <translation>创建时间</translation>
        </message>
    </context>
    <context>
        <name>IncidentDetailPanel</name>
        <message>
            <source>Select an incident</source>
            <translation>请选择一个事件</translation>
        </message>
        <message>
            <source>Supervision:</source>
            <translation>督办：</translation>
        </message>
        <message>
            <source>Timeline</source>
            <translation>时间线</translation>
        </message>
        <message>
            <source>Dispatches</source>
            <translation>派单</translation>
        </message>
        <message>
            <source>Photos</source>
            <translation>照片</translation>
        </message>
        <message>
            <source>Reports</source>
            <translation>关联报告</translation>
        </message>
        <message>
            <source>Incident not found on this workstation</source>
            <translation>本工作站上没有该事件</translation>
        </message>
        <message>
            <source>(provisional)</source>
            <translation>（待编号）</translation>
        </message>
        <message>
            <source>created {when}</source>
            <translation>{when} 立案</translation>
        </message>
        <message>
            <source>assigned to {who}</source>
            <translation>承办：{who}</translation>
        </message>
        <message>
            <source>{zone} team</source>
            <translation>{zone}执法队</translation>
        </message>
        <message>
            <source>No linked reports.</source>
            <translation>无关联报告。</translation>
        </message>
        <message>
            <source>Timeline ({n})</source>
            <translation>时间线（{n}）</translation>
        </message>
        <message>
            <source>Dispatches ({n})</source>
            <translation>派单（{n}）</translation>
        </message>
        <message>
            <source>Photos ({n})</source>
            <translation>照片（{n}）</translation>
        </message>
        <message>
            <source>Matter</source>
            <translation>事项</translation>
        </message>
        <message>
            <source>Lead department</source>
            <translation>牵头部门</translation>
        </message>
        <message>
            <source>Township duty</source>
            <translation>乡镇职责</translation>
        </message>
        <message>
            <source>Department duty</source>
            <translation>部门职责</translation>
        </message>
        <message>
            <source>Override reason</source>
            <translation>改派理由</translation>
        </message>
        <message>
            <source>Returned because</source>
            <translation>退回理由</translation>
        </message>
        <message>
            <source>Counter-proposal</source>
            <translation>建议承办</translation>
        </message>
        <message>
            <source>Outside the list: township accepts, county and township handle jointly</source>
            <translation>清单外事项：乡镇兜底受理，县乡联动处置</translation>
        </message>
        <message>
            <source>the clocks call for: {level}</source>
            <translation>按时限应启动：{level}</translation>
        </message>
        <message>
            <source>Progress note</source>
            <translation>进展</translation>
        </message>
        <message>
            <source>Progress</source>
            <translation>进展情况</translation>
        </message>
        <message>
            <source>What happened, who is doing what</source>
            <translation>最新情况、谁在做什么</translation>
        </message>
        <message>
            <source>Proxy sign-for</source>
            <translation>代录签收</translation>
        </message>
        <message>
            <source>Who phoned it in and when (required); shown on the timeline as a proxy entry under your name</source>
            <translation>谁、何时电话告知（必填）；时间线上以您的名义显示为“代录”</translation>
        </message>
        <message>
            <source>Contest at the county</source>
            <translation>提请县级仲裁</translation>
        </message>
        <message>
            <source>Why the department should handle it: the list matter, the facts (required)</source>
            <translation>为什么应由该部门办理：依据的清单事项和事实（必填）</translation>
        </message>
        <message>
            <source>Escalate to the county</source>
            <translation>上报县级</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
        <message>
            <source>Why the township cannot settle this (required)</source>
            <translation>乡镇无法解决的原因（必填）</translation>
        </message>
        <message>
            <source>Submit for verification</source>
            <translation>提交核查</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>处置情况</translation>
        </message>
        <message>
            <source>What was done (optional)</source>
            <translation>处置情况（选填）</translation>
        </message>
        <message>
            <source>Reopen incident</source>
            <translation>重新打开事件</translation>
        </message>
        <message>
            <source>Why it is not settled (required)</source>
            <translation>未办结的原因（必填）</translation>
        </message>
    </context>
    <context>
        <name>IncidentFilterBar</name>
        <message>
            <source>All states</source>
            <translation>全部状态</translation>
        </message>
        <message>
            <source>Open (not closed)</source>
            <translation>未办结</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>All townships</source>
            <translation>全部乡镇</translation>
        </message>
        <message>
            <source>My township</source>
            <translation>本乡镇</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>All zones</source>
            <translation>全部片区</translation>
        </message>
        <message>
            <source>Enforcement zone</source>
            <translation>执法片区</translation>
        </message>
        <message>
            <source>All matters</source>
            <translation>全部事项</translation>
        </message>
        <message>
            <source>Matter of the responsibility list</source>
            <translation>属地管理事项清单事项</translation>
        </message>
        <message>
            <source>All lead departments</source>
            <translation>全部牵头部门</translation>
        </message>
        <message>
            <source>Lead department</source>
            <translation>牵头部门</translation>
        </message>
        <message>
            <source>All urgencies</source>
            <translation>全部紧急程度</translation>
        </message>
        <message>
            <source>Urgency</source>
            <translation>紧急程度</translation>
        </message>
        <message>
            <source>Overdue only</source>
            <translation>只看超时</translation>
        </message>
        <message>
            <source>Created</source>
            <translation>创建时间</translation>
        </message>
        <message>
            <source>Search number, title, address (e.g. 违停, 扬尘)</source>
            <translation>搜索编号、标题、地址（如 违停、扬尘）</translation>
        </message>
    </context>
    <context>
        <name>IncidentPickerDialog</name>
        <message>
            <source>Number or words of the title</source>
            <translation>编号或标题关键词</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>搜索</translation>
        </message>
    </context>
    <context>
        <name>IncidentTableModel</name>
        <message>
            <source>(removed)</source>
            <translation>（已删除）</translation>
        </message>
        <message>
            <source>(provisional)</source>
            <translation>（待编号）</translation>
        </message>
        <message>
            <source>Township-county joint</source>
            <translation>县乡联办</translation>
        </message>
        <message>
            <source>{zone} team</source>
            <translation>{zone}执法队</translation>
        </message>
        <message>
            <source>{clock} due {when}</source>
            <translation>{clock}时限：{when}</translation>
        </message>
    </context>
    <context>
        <name>Incidents</name>
        <message>
            <source>Dispatch</source>
            <translation>派单</translation>
        </message>
        <message>
            <source>Acknowledge</source>
            <translation>签收</translation>
        </message>
        <message>
            <source>On site</source>
            <translation>到场</translation>
        </message>
        <message>
            <source>Start handling</source>
            <translation>开始处置</translation>
        </message>
        <message>
            <source>Progress note</source>
            <translation>进展</translation>
        </message>
        <message>
            <source>Submit for verification</source>
            <translation>提交核查</translation>
        </message>
        <message>
            <source>Verify</source>
            <translation>核查</translation>
        </message>
        <message>
            <source>Close</source>
            <translation>办结</translation>
        </message>
        <message>
            <source>Return</source>
            <translation>退回</translation>
        </message>
        <message>
            <source>Escalate</source>
            <translation>上报</translation>
        </message>
        <message>
            <source>Remind</source>
            <translation>催办</translation>
        </message>
        <message>
            <source>Reopen</source>
            <translation>重新打开</translation>
        </message>
        <message>
            <source>Proxy sign-for</source>
            <translation>代录签收</translation>
        </message>
        <message>
            <source>Contest at the county</source>
            <translation>提请县级仲裁</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Members</source>
            <translation>队员</translation>
        </message>
        <message>
            <source>no limit</source>
            <translation>无时限</translation>
        </message>
        <message>
            <source>{clock}: not running</source>
            <translation>{clock}：未计时</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Who</source>
            <translation>操作人</translation>
        </message>
        <message>
            <source>Workstation</source>
            <translation>工作站</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>操作</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Assigned at</source>
            <translation>派单时间</translation>
        </message>
        <message>
            <source>To</source>
            <translation>派往</translation>
        </message>
        <message>
            <source>Acknowledged at</source>
            <translation>签收时间</translation>
        </message>
        <message>
            <source>On scene at</source>
            <translation>到场时间</translation>
        </message>
        <message>
            <source>None</source>
            <translation>无</translation>
        </message>
        <message>
            <source>Reminder</source>
            <translation>提醒</translation>
        </message>
        <message>
            <source>Supervision order</source>
            <translation>督办单</translation>
        </message>
        <message>
            <source>Leader notice</source>
            <translation>领导通报</translation>
        </message>
        <message>
            <source>Assigned</source>
            <translation>已派</translation>
        </message>
        <message>
            <source>Acknowledged</source>
            <translation>已签收</translation>
        </message>
        <message>
            <source>En route</source>
            <translation>在途</translation>
        </message>
        <message>
            <source>On scene</source>
            <translation>在现场</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>完成</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>已撤销</translation>
        </message>
        <message>
            <source>Accepted and filed</source>
            <translation>受理立案</translation>
        </message>
        <message>
            <source>Lead department changed</source>
            <translation>改派牵头部门</translation>
        </message>
        <message>
            <source>Report merged</source>
            <translation>合并报告</translation>
        </message>
        <message>
            <source>Merge undone</source>
            <translation>撤销合并</translation>
        </message>
        <message>
            <source>Dispatched</source>
            <translation>派单</translation>
        </message>
        <message>
            <source>Arrived on site</source>
            <translation>到场</translation>
        </message>
        <message>
            <source>Handling started</source>
            <translation>开始处置</translation>
        </message>
        <message>
            <source>Returned</source>
            <translation>退回</translation>
        </message>
        <message>
            <source>Escalated</source>
            <translation>上报</translation>
        </message>
        <message>
            <source>Submitted for verification</source>
            <translation>提交核查</translation>
        </message>
        <message>
            <source>Verification passed</source>
            <translation>核查通过</translation>
        </message>
        <message>
            <source>Verification failed</source>
            <translation>核查不通过</translation>
        </message>
        <message>
            <source>Verified (waiting for the other check)</source>
            <translation>已核查（待另一方核查）</translation>
        </message>
        <message>
            <source>Closure rejected</source>
            <translation>核查不通过，退回结案</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>办结</translation>
        </message>
        <message>
            <source>Reopened</source>
            <translation>重新打开</translation>
        </message>
        <message>
            <source>Edited</source>
            <translation>修改</translation>
        </message>
        <message>
            <source>Reminder sent</source>
            <translation>催办</translation>
        </message>
        <message>
            <source>About to run out</source>
            <translation>即将超时预警</translation>
        </message>
        <message>
            <source>Contested at the county</source>
            <translation>提请县级仲裁</translation>
        </message>
        <message>
            <source>County arbitration decided</source>
            <translation>县级仲裁裁定</translation>
        </message>
        <message>
            <source>Arbitration overdue, escalated</source>
            <translation>仲裁超时升级</translation>
        </message>
        <message>
            <source>Dispatch acknowledged</source>
            <translation>派单签收</translation>
        </message>
        <message>
            <source>Set out</source>
            <translation>出发</translation>
        </message>
        <message>
            <source>Reached the scene</source>
            <translation>到达现场</translation>
        </message>
        <message>
            <source>Dispatch done</source>
            <translation>派单完成</translation>
        </message>
        <message>
            <source>Dispatch withdrawn</source>
            <translation>撤销派单</translation>
        </message>
        <message>
            <source>Running</source>
            <translation>计时中</translation>
        </message>
        <message>
            <source>Due soon</source>
            <translation>即将到期</translation>
        </message>
        <message>
            <source>Overdue</source>
            <translation>已超时</translation>
        </message>
        <message>
            <source>Met</source>
            <translation>按时</translation>
        </message>
        <message>
            <source>Met late</source>
            <translation>超时完成</translation>
        </message>
        <message>
            <source>No limit</source>
            <translation>无时限</translation>
        </message>
        <message>
            <source>{d} d {h} h</source>
            <translation>{d}天{h}小时</translation>
        </message>
        <message>
            <source>{h} h {m} min</source>
            <translation>{h}小时{m}分</translation>
        </message>
        <message>
            <source>{m} min</source>
            <translation>{m}分钟</translation>
        </message>
        <message>
            <source>{clock}: no limit</source>
            <translation>{clock}：无时限</translation>
        </message>
        <message>
            <source>{clock}: met</source>
            <translation>{clock}：按时完成</translation>
        </message>
        <message>
            <source>{clock}: late by {span}</source>
            <translation>{clock}：超时{span}完成</translation>
        </message>
        <message>
            <source>{clock}: overdue {span}</source>
            <translation>{clock}：已超时{span}</translation>
        </message>
        <message>
            <source>{clock}: {span} left</source>
            <translation>{clock}：剩{span}</translation>
        </message>
        <message>
            <source>No.</source>
            <translation>编号</translation>
        </message>
        <message>
            <source>Title / category</source>
            <translation>标题 / 类别</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>Urgency</source>
            <translation>紧急程度</translation>
        </message>
        <message>
            <source>Lead department</source>
            <translation>牵头部门</translation>
        </message>
        <message>
            <source>Assigned to</source>
            <translation>承办</translation>
        </message>
        <message>
            <source>Created</source>
            <translation>创建时间</translation>
        </message>
        <message>
            <source>Deadline</source>
            <translation>时限</translation>
        </message>
        <message>
            <source>Supervision</source>
            <translation>督办</translation>
        </message>
    </context>
    <context>
        <name>IncidentsView</name>
        <message>
            <source>Incidents</source>
            <translation>事件</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>搜索</translation>
        </message>
        <message>
            <source>Overdue</source>
            <translation>超时</translation>
        </message>
        <message>
            <source>Shift handover</source>
            <translation>交接班</translation>
        </message>
        <message>
            <source>Daily briefing</source>
            <translation>值班日报</translation>
        </message>
        <message>
            <source>Searching…</source>
            <translation>正在查询…</translation>
        </message>
        <message>
            <source>{n} incidents</source>
            <translation>共 {n} 件</translation>
        </message>
        <message>
            <source>Filters and search cleared to show the incident chosen on the map.</source>
            <translation>为显示地图上选中的事件，已清除筛选条件和搜索。</translation>
        </message>
    </context>
    <context>
        <name>Labels</name>
        <message>
            <source>Duty officer</source>
            <translation>值班员</translation>
        </message>
        <message>
            <source>Grid head</source>
            <translation>网格长</translation>
        </message>
        <message>
            <source>Team leader</source>
            <translation>执法队长</translation>
        </message>
        <message>
            <source>Module lead</source>
            <translation>模块牵头人</translation>
        </message>
        <message>
            <source>County governance center</source>
            <translation>县社会治理中心</translation>
        </message>
        <message>
            <source>Grid worker</source>
            <translation>网格员</translation>
        </message>
        <message>
            <source>Administrator</source>
            <translation>系统管理员</translation>
        </message>
        <message>
            <source>Department liaison</source>
            <translation>部门联络员</translation>
        </message>
        <message>
            <source>Wall screen (read only)</source>
            <translation>大屏只读</translation>
        </message>
        <message>
            <source>Grid patrol</source>
            <translation>网格巡查</translation>
        </message>
        <message>
            <source>Villager app</source>
            <translation>村情通</translation>
        </message>
        <message>
            <source>12345 hotline</source>
            <translation>12345热线</translation>
        </message>
        <message>
            <source>Department push</source>
            <translation>部门推送</translation>
        </message>
        <message>
            <source>Sensor alert</source>
            <translation>感知预警</translation>
        </message>
        <message>
            <source>Assigned from above</source>
            <translation>上级交办</translation>
        </message>
        <message>
            <source>Inspection</source>
            <translation>督查稽查</translation>
        </message>
        <message>
            <source>Urgent</source>
            <translation>紧急</translation>
        </message>
        <message>
            <source>Pressing</source>
            <translation>较急</translation>
        </message>
        <message>
            <source>Normal</source>
            <translation>一般</translation>
        </message>
        <message>
            <source>Complex</source>
            <translation>疑难复杂</translation>
        </message>
        <message>
            <source>New</source>
            <translation>待受理</translation>
        </message>
        <message>
            <source>Accepted</source>
            <translation>已受理</translation>
        </message>
        <message>
            <source>Merged</source>
            <translation>已合并</translation>
        </message>
        <message>
            <source>Rejected</source>
            <translation>不予受理</translation>
        </message>
        <message>
            <source>Pending dispatch</source>
            <translation>待派单</translation>
        </message>
        <message>
            <source>Dispatched</source>
            <translation>已交办</translation>
        </message>
        <message>
            <source>Acknowledged</source>
            <translation>已签收</translation>
        </message>
        <message>
            <source>In progress</source>
            <translation>处置中</translation>
        </message>
        <message>
            <source>Awaiting verification</source>
            <translation>待核查</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>已办结</translation>
        </message>
        <message>
            <source>Returned</source>
            <translation>已退回</translation>
        </message>
        <message>
            <source>Escalated</source>
            <translation>已上报</translation>
        </message>
        <message>
            <source>Waiting to sync</source>
            <translation>待同步</translation>
        </message>
        <message>
            <source>Synced</source>
            <translation>已同步</translation>
        </message>
        <message>
            <source>Rejected by server</source>
            <translation>服务器退回</translation>
        </message>
        <message>
            <source>Merged by server</source>
            <translation>服务器已合并</translation>
        </message>
        <message>
            <source>Accept report</source>
            <translation>受理报告</translation>
        </message>
        <message>
            <source>Merge report</source>
            <translation>合并报告</translation>
        </message>
        <message>
            <source>Undo merge</source>
            <translation>撤销合并</translation>
        </message>
        <message>
            <source>Reject report</source>
            <translation>不予受理</translation>
        </message>
        <message>
            <source>Submit report</source>
            <translation>上报</translation>
        </message>
        <message>
            <source>Dispatch incident</source>
            <translation>派单</translation>
        </message>
        <message>
            <source>Close incident</source>
            <translation>办结事件</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>编号</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>类别</translation>
        </message>
        <message>
            <source>Urgency</source>
            <translation>紧急程度</translation>
        </message>
        <message>
            <source>Rejection reason</source>
            <translation>不予受理理由</translation>
        </message>
        <message>
            <source>Assignee</source>
            <translation>承办方</translation>
        </message>
        <message>
            <source>Lead department</source>
            <translation>牵头部门</translation>
        </message>
        <message>
            <source>Board column</source>
            <translation>看板列</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>名称</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Updated</source>
            <translation>更新</translation>
        </message>
        <message>
            <source>Description</source>
            <translation>描述</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>地址</translation>
        </message>
        <message>
            <source>Close deadline</source>
            <translation>办结时限</translation>
        </message>
        <message>
            <source>Later change wins</source>
            <translation>后改为准</translation>
        </message>
        <message>
            <source>Final state wins</source>
            <translation>终态优先</translation>
        </message>
        <message>
            <source>Routing overridden</source>
            <translation>路由已调整</translation>
        </message>
        <message>
            <source>Already triaged</source>
            <translation>已分拣过</translation>
        </message>
        <message>
            <source>Both texts kept for review</source>
            <translation>双方内容均保留待核</translation>
        </message>
        <message>
            <source>A concurrent move did not take effect</source>
            <translation>同时发生的移动未生效</translation>
        </message>
        <message>
            <source>Moved at the same time by someone else</source>
            <translation>他人同时移动了这张卡片</translation>
        </message>
        <message>
            <source>WIP limit overridden</source>
            <translation>超出在办上限</translation>
        </message>
        <message>
            <source>Report</source>
            <translation>报告</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>事件</translation>
        </message>
        <message>
            <source>Dispatch</source>
            <translation>派单</translation>
        </message>
        <message>
            <source>One-thing case</source>
            <translation>一件事</translation>
        </message>
        <message>
            <source>Task card</source>
            <translation>任务卡</translation>
        </message>
        <message>
            <source>Module</source>
            <translation>模块</translation>
        </message>
        <message>
            <source>Check-in</source>
            <translation>报到</translation>
        </message>
        <message>
            <source>Team member</source>
            <translation>执法队员</translation>
        </message>
        <message>
            <source>Handover</source>
            <translation>交接班</translation>
        </message>
    </context>
    <context>
        <name>LendDialog</name>
        <message>
            <source>Lend a team member</source>
            <translation>借调队员</translation>
        </message>
        <message>
            <source>Lend from {zone}</source>
            <translation>从{zone}借调</translation>
        </message>
        <message>
            <source>Member</source>
            <translation>队员</translation>
        </message>
        <message>
            <source>To zone</source>
            <translation>借调至</translation>
        </message>
        <message>
            <source>Until</source>
            <translation>借调至（时间）</translation>
        </message>
        <message>
            <source>Why the member is lent (required)</source>
            <translation>借调理由（必填）</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
    </context>
    <context>
        <name>Login</name>
        <message>
            <source>Wrong user name or password.</source>
            <translation>用户名或密码错误。</translation>
        </message>
        <message>
            <source>This workstation's software is too old for the server. Install the new version; unsynced work is kept.</source>
            <translation>本机软件版本过旧，服务器不再接受。请安装新版本；未同步的修改已保留在本机。</translation>
        </message>
        <message>
            <source>The server cannot be reached and this workstation cannot check passwords offline yet.</source>
            <translation>无法连接服务器，且本机尚不能离线核验密码。</translation>
        </message>
        <message>
            <source>The server cannot be reached, and the offline check failed: wrong password, or this account never signed in on this workstation.</source>
            <translation>无法连接服务器，离线核验也未通过：密码错误，或该账号从未在本机在线登录过。</translation>
        </message>
        <message>
            <source>Signed in offline. Changes are kept here and sync when the server is back.</source>
            <translation>已离线登录。修改保存在本机，服务器恢复后自动同步。</translation>
        </message>
    </context>
    <context>
        <name>LoginDialog</name>
        <message>
            <source>Command Room · sign in</source>
            <translation>指挥室 · 登录</translation>
        </message>
        <message>
            <source>Township Integrated Information Command Room</source>
            <translation>乡镇综合信息指挥室</translation>
        </message>
        <message>
            <source>First start on this workstation: enter the county server's address and a name for this workstation, then sign in. Later you can sign in without the network.</source>
            <translation>本机首次启动：请填写县级服务器地址和本工作站名称，然后登录。之后断网时也可登录。</translation>
        </message>
        <message>
            <source>Connection</source>
            <translation>连接</translation>
        </message>
        <message>
            <source>e.g. Qiuchuan command room desk 1</source>
            <translation>例如：球川镇指挥室 1 号席位</translation>
        </message>
        <message>
            <source>County server</source>
            <translation>县级服务器</translation>
        </message>
        <message>
            <source>Workstation name</source>
            <translation>工作站名称</translation>
        </message>
        <message>
            <source>User name</source>
            <translation>用户名</translation>
        </message>
        <message>
            <source>Password</source>
            <translation>密码</translation>
        </message>
        <message>
            <source>Sign in</source>
            <translation>登录</translation>
        </message>
        <message>
            <source>Connection…</source>
            <translation>连接设置…</translation>
        </message>
        <message>
            <source>Quit</source>
            <translation>退出</translation>
        </message>
        <message>
            <source>Enter the county server's address.</source>
            <translation>请填写县级服务器地址。</translation>
        </message>
        <message>
            <source>Give this workstation a name (it appears in every timeline entry).</source>
            <translation>请为本工作站命名（会记入每条处置留痕）。</translation>
        </message>
        <message>
            <source>Enter user name and password.</source>
            <translation>请输入用户名和密码。</translation>
        </message>
        <message>
            <source>Opening this workstation's data…</source>
            <translation>正在打开本机数据…</translation>
        </message>
        <message>
            <source>This workstation's data could not be opened: {error}</source>
            <translation>无法打开本机数据：{error}</translation>
        </message>
        <message>
            <source>Signing in…</source>
            <translation>正在登录…</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <source>Command Room</source>
            <translation>综合信息指挥室</translation>
        </message>
        <message>
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <source>Language, theme, sound, server and workstation (Ctrl+,)</source>
            <translation>语言、主题、声音、服务器和工作站（Ctrl+,）</translation>
        </message>
        <message>
            <source>Report inbox</source>
            <translation>收件箱</translation>
        </message>
        <message>
            <source>Incidents</source>
            <translation>事件</translation>
        </message>
        <message>
            <source>Conflicts &amp; rejections</source>
            <translation>冲突与退回</translation>
        </message>
        <message>
            <source>Map</source>
            <translation>地图</translation>
        </message>
        <message>
            <source>Enforcement zones</source>
            <translation>执法片区</translation>
        </message>
        <message>
            <source>Task board</source>
            <translation>任务看板</translation>
        </message>
        <message>
            <source>One-thing cases</source>
            <translation>一件事</translation>
        </message>
        <message>
            <source>Department workspace</source>
            <translation>部门工作台</translation>
        </message>
        <message>
            <source>Notices sent</source>
            <translation>通知记录</translation>
        </message>
        <message>
            <source>Arbitration</source>
            <translation>县级仲裁</translation>
        </message>
        <message>
            <source>Administration</source>
            <translation>系统管理</translation>
        </message>
        <message>
            <source>Administration needs the county server: sign in while connected.</source>
            <translation>系统管理需要连接县级服务器：请在联网时登录。</translation>
        </message>
        <message>
            <source>The notices log is kept by the county server: sign in while connected.</source>
            <translation>通知记录保存在县服务器上：请在联网时登录。</translation>
        </message>
        <message>
            <source>Settings saved.</source>
            <translation>设置已保存。</translation>
        </message>
        <message>
            <source>Whole county</source>
            <translation>全县</translation>
        </message>
    </context>
    <context>
        <name>MapPage</name>
        <message>
            <source>Legend</source>
            <translation>图例</translation>
        </message>
        <message>
            <source>Click to collapse or expand the legend</source>
            <translation>点击收起/展开图例</translation>
        </message>
        <message>
            <source>Incident state (colour)</source>
            <translation>事件状态（颜色）</translation>
        </message>
        <message>
            <source>Urgency (size)</source>
            <translation>紧急程度（大小）</translation>
        </message>
        <message>
            <source>Other</source>
            <translation>其他</translation>
        </message>
        <message>
            <source>Overdue</source>
            <translation>已超期</translation>
        </message>
        <message>
            <source>R</source>
            <translation>报</translation>
        </message>
        <message>
            <source>T</source>
            <translation>队</translation>
        </message>
        <message>
            <source>Enforcement officer</source>
            <translation>执法队员</translation>
        </message>
        <message>
            <source>Township area</source>
            <translation>乡镇范围</translation>
        </message>
        <message>
            <source>Township areas are approximate boundaries (Voronoi polygons around the township seats), not legal administrative boundaries; they are replaced automatically once official boundaries are available.</source>
            <translation>乡镇范围为近似边界（按乡镇驻地划分的泰森多边形），不是法定行政界线；取得官方边界后自动替换。</translation>
        </message>
        <message>
            <source>Vector base map</source>
            <translation>矢量底图</translation>
        </message>
        <message>
            <source>Offline tile base map</source>
            <translation>离线瓦片底图</translation>
        </message>
        <message>
            <source>County boundary</source>
            <translation>县界</translation>
        </message>
        <message>
            <source>Township areas</source>
            <translation>乡镇范围</translation>
        </message>
        <message>
            <source>Township areas (approximate boundaries)</source>
            <translation>乡镇范围（近似边界）</translation>
        </message>
        <message>
            <source>Enforcement zones</source>
            <translation>执法片区</translation>
        </message>
        <message>
            <source>Grids</source>
            <translation>网格</translation>
        </message>
        <message>
            <source>Incident heat map</source>
            <translation>事件热力图</translation>
        </message>
        <message>
            <source>Incidents (open)</source>
            <translation>事件（未办结）</translation>
        </message>
        <message>
            <source>Incidents (closed)</source>
            <translation>事件（已办结）</translation>
        </message>
        <message>
            <source>Incident cluster (count)</source>
            <translation>事件聚合（数字为件数）</translation>
        </message>
        <message>
            <source>New report</source>
            <translation>待受理上报</translation>
        </message>
        <message>
            <source>Approx. boundary</source>
            <translation>近似边界</translation>
        </message>
        <message>
            <source>No base map</source>
            <translation>无底图</translation>
        </message>
        <message>
            <source>Street map</source>
            <translation>街道图</translation>
        </message>
        <message>
            <source>Imagery</source>
            <translation>影像图</translation>
        </message>
        <message>
            <source>Map labels</source>
            <translation>地图注记</translation>
        </message>
        <message>
            <source>New reports</source>
            <translation>待受理上报</translation>
        </message>
        <message>
            <source>Enforcement officer positions</source>
            <translation>执法队员位置</translation>
        </message>
        <message>
            <source>(no number)</source>
            <translation>（未编号）</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>类别</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>地址</translation>
        </message>
        <message>
            <source>Close deadline</source>
            <translation>办结时限</translation>
        </message>
        <message>
            <source>View details</source>
            <translation>查看详情</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>来源</translation>
        </message>
        <message>
            <source>Reporter</source>
            <translation>上报人</translation>
        </message>
        <message>
            <source>Reported at</source>
            <translation>上报时间</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Zone</source>
            <translation>片区</translation>
        </message>
        <message>
            <source>Status since</source>
            <translation>状态时间</translation>
        </message>
        <message>
            <source>Rectangle</source>
            <translation>框选</translation>
        </message>
        <message>
            <source>Select incidents with a rectangle (or drag with Shift held down)</source>
            <translation>框选事件（也可按住 Shift 拖动）</translation>
        </message>
        <message>
            <source>Lasso</source>
            <translation>套索</translation>
        </message>
        <message>
            <source>Lasso selection: press and drag to draw the area</source>
            <translation>套索选择事件：按下后拖动画出范围</translation>
        </message>
        <message>
            <source>Clear</source>
            <translation>清除</translation>
        </message>
        <message>
            <source>Whole county</source>
            <translation>全县</translation>
        </message>
        <message>
            <source>{n} selected</source>
            <translation>已选 {n} 件</translation>
        </message>
        <message>
            <source>Local tile cache</source>
            <translation>本地瓦片缓存</translation>
        </message>
    </context>
    <context>
        <name>MapView</name>
        <message>
            <source>Loading the map…</source>
            <translation>地图加载中…</translation>
        </message>
    </context>
    <context>
        <name>MembersView</name>
        <message>
            <source>Certificates: &lt;span style='background:#fad7a0'&gt;&amp;nbsp;expires within 30 days&amp;nbsp;&lt;/span&gt; &lt;span style='background:#f5b7b1'&gt;&amp;nbsp;expired&amp;nbsp;&lt;/span&gt;</source>
            <translation>执法证：&lt;span style='background:#fad7a0'&gt;&amp;nbsp;30天内到期&amp;nbsp;&lt;/span&gt; &lt;span style='background:#f5b7b1'&gt;&amp;nbsp;已过期&amp;nbsp;&lt;/span&gt;</translation>
        </message>
        <message>
            <source>Status and position…</source>
            <translation>设置状态和位置…</translation>
        </message>
        <message>
            <source>{n} members ({m} enforcement officers + {a} auxiliaries)</source>
            <translation>共 {n} 人（执法队员 {m} 名 + 辅助人员 {a} 名）</translation>
        </message>
        <message>
            <source>Select a member first.</source>
            <translation>请先选择一名队员。</translation>
        </message>
    </context>
    <context>
        <name>MergeDialog</name>
        <message>
            <source>Merge into an incident</source>
            <translation>合并到事件</translation>
        </message>
        <message>
            <source>Merge {n} report(s) into the incident chosen below. Suggested duplicates (near in place, time and category) come first.</source>
            <translation>将 {n} 条报告合并到下方选定的事件。疑似重复（位置、时间、类别相近）的事件排在前面。</translation>
        </message>
        <message>
            <source>No open incident in this township to merge into. Accept the report instead.</source>
            <translation>本乡镇没有可合并的未办结事件，请改为受理。</translation>
        </message>
        <message>
            <source>Merge (Enter)</source>
            <translation>合并（回车）</translation>
        </message>
        <message>
            <source>Choose the incident to merge into.</source>
            <translation>请选择要合并到的事件。</translation>
        </message>
    </context>
    <context>
        <name>MergeTargetModel</name>
        <message>
            <source>Match</source>
            <translation>相似度</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>编号</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Category</source>
            <translation>类别</translation>
        </message>
        <message>
            <source>Distance</source>
            <translation>距离</translation>
        </message>
        <message>
            <source>Time apart</source>
            <translation>时间差</translation>
        </message>
        <message>
            <source>Why</source>
            <translation>相似构成</translation>
        </message>
        <message>
            <source>{score}%</source>
            <translation>{score}%</translation>
        </message>
        <message>
            <source>(not numbered yet)</source>
            <translation>（尚未编号）</translation>
        </message>
        <message>
            <source>{m} m</source>
            <translation>{m} 米</translation>
        </message>
        <message>
            <source>{h} h</source>
            <translation>{h} 小时</translation>
        </message>
        <message>
            <source>place {place} · time {time} · category {category}</source>
            <translation>位置 {place} · 时间 {time} · 类别 {category}</translation>
        </message>
        <message>
            <source>Place {place} + time {time} + category {category} (of 50 + 30 + 20)</source>
            <translation>位置 {place} + 时间 {time} + 类别 {category}（满分 50 + 30 + 20）</translation>
        </message>
    </context>
    <context>
        <name>MonthModel</name>
        <message>
            <source>Month</source>
            <translation>月份</translation>
        </message>
        <message>
            <source>Holidays</source>
            <translation>放假</translation>
        </message>
        <message>
            <source>Make-up working days</source>
            <translation>调休上班</translation>
        </message>
        <message>
            <source>{year}/{month}</source>
            <translation>{year}年{month}月</translation>
        </message>
    </context>
    <context>
        <name>MyTasksModel</name>
        <message>
            <source>Card</source>
            <translation>卡片</translation>
        </message>
        <message>
            <source>Module</source>
            <translation>模块</translation>
        </message>
        <message>
            <source>Column</source>
            <translation>所在列</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>截止时间</translation>
        </message>
        <message>
            <source>Days in column</source>
            <translation>在列天数</translation>
        </message>
        <message>
            <source>Linked</source>
            <translation>关联</translation>
        </message>
    </context>
    <context>
        <name>MyTasksView</name>
        <message>
            <source>Include done</source>
            <translation>含已办结</translation>
        </message>
        <message>
            <source>Tasks of</source>
            <translation>任务人</translation>
        </message>
        <message>
            <source>{n} cards, {overdue} overdue</source>
            <translation>{n} 张卡片，{overdue} 张超期</translation>
        </message>
    </context>
    <context>
        <name>NoteDialog</name>
        <message>
            <source>What has been done, what comes next</source>
            <translation>已做了什么，下一步做什么</translation>
        </message>
        <message>
            <source>Progress</source>
            <translation>进展</translation>
        </message>
    </context>
    <context>
        <name>NoticesModel</name>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Occasion</source>
            <translation>事由</translation>
        </message>
        <message>
            <source>Message</source>
            <translation>通知内容</translation>
        </message>
        <message>
            <source>To</source>
            <translation>收件人</translation>
        </message>
        <message>
            <source>Address</source>
            <translation>地址</translation>
        </message>
        <message>
            <source>Channel</source>
            <translation>通道</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Tries</source>
            <translation>次数</translation>
        </message>
        <message>
            <source>Why / next</source>
            <translation>原因 / 下一步</translation>
        </message>
    </context>
    <context>
        <name>NoticesView</name>
        <message>
            <source>Waiting</source>
            <translation>待发送</translation>
        </message>
        <message>
            <source>Sent</source>
            <translation>已发送</translation>
        </message>
        <message>
            <source>Failed</source>
            <translation>发送失败</translation>
        </message>
        <message>
            <source>Group robot</source>
            <translation>群机器人</translation>
        </message>
        <message>
            <source>SMS</source>
            <translation>短信</translation>
        </message>
        <message>
            <source>E-mail</source>
            <translation>电子邮件</translation>
        </message>
        <message>
            <source>Dispatch</source>
            <translation>派遣</translation>
        </message>
        <message>
            <source>Summons (whistle)</source>
            <translation>吹哨召集</translation>
        </message>
        <message>
            <source>Deadline near</source>
            <translation>即将超时</translation>
        </message>
        <message>
            <source>Escalation</source>
            <translation>督办升级</translation>
        </message>
        <message>
            <source>Verification failed</source>
            <translation>核查未通过</translation>
        </message>
        <message>
            <source>Sent at {when}</source>
            <translation>{when} 已送达</translation>
        </message>
        <message>
            <source>{reason}. Not retried: ask the county administrator to check the channel or the person's contact.</source>
            <translation>{reason}。不再重试：请县级管理员检查通道设置或收件人的联系方式。</translation>
        </message>
        <message>
            <source>No reason given</source>
            <translation>未说明原因</translation>
        </message>
        <message>
            <source>{reason}. Next try {when}.</source>
            <translation>{reason}。将于 {when} 重试。</translation>
        </message>
        <message>
            <source>Queued, sending {when}.</source>
            <translation>排队中，将于 {when} 发送。</translation>
        </message>
        <message>
            <source>Queued.</source>
            <translation>排队中。</translation>
        </message>
        <message>
            <source>All statuses</source>
            <translation>全部状态</translation>
        </message>
        <message>
            <source>All channels</source>
            <translation>全部通道</translation>
        </message>
        <message>
            <source>Search message, person or reason</source>
            <translation>搜索通知内容、收件人或原因</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Could not load the notices from the county server ({why}). The list shows the last rows loaded; it tries again in half a minute.</source>
            <translation>无法从县服务器读取通知记录（{why}）。列表显示的是上次读取的内容，半分钟后自动重试。</translation>
        </message>
        <message>
            <source>{shown} of {total} notices shown · sent {sent} · waiting {pending} · failed {failed}</source>
            <translation>显示 {shown} / {total} 条 · 已发送 {sent} · 待发送 {pending} · 发送失败 {failed}</translation>
        </message>
        <message>
            <source> — a failed notice did not reach its person: tell them by phone.</source>
            <translation> —— 发送失败的通知没有送到本人：请电话告知。</translation>
        </message>
    </context>
    <context>
        <name>Notifier</name>
        <message>
            <source>Urgent report</source>
            <translation>紧急上报</translation>
        </message>
        <message>
            <source>Command Room</source>
            <translation>综合信息指挥室</translation>
        </message>
    </context>
    <context>
        <name>OneThingPage</name>
        <message>
            <source>One-thing cases</source>
            <translation>一件事</translation>
        </message>
        <message>
            <source>Responsibility list</source>
            <translation>清单管理</translation>
        </message>
        <message>
            <source>Holiday schedule</source>
            <translation>节假日安排</translation>
        </message>
        <message>
            <source>Assessment</source>
            <translation>考核</translation>
        </message>
        <message>
            <source>Incident {label} is not in the incident list's current view; search for it there by its number.</source>
            <translation>事件 {label} 不在事件列表当前视图中，请在事件列表按编号搜索。</translation>
        </message>
    </context>
    <context>
        <name>OpenCaseDialog</name>
        <message>
            <source>Open a one-thing case from an incident</source>
            <translation>从事件发起一件事</translation>
        </message>
        <message>
            <source>Township's order (open a one-thing case)</source>
            <translation>乡镇点单（发起一件事）</translation>
        </message>
        <message>
            <source>(the catalogue name)</source>
            <translation>（默认用目录名称）</translation>
        </message>
        <message>
            <source>What the township orders</source>
            <translation>乡镇点单内容</translation>
        </message>
        <message>
            <source>One thing</source>
            <translation>一件事</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Lead: {lead}; collaborating: {others}; steps: {steps}; time limit {n} working days</source>
            <translation>领办：{lead}；协办：{others}；步骤：{steps}；限时 {n} 个工作日</translation>
        </message>
    </context>
    <context>
        <name>Operations</name>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
        <message>
            <source>Dispatch target</source>
            <translation>派单对象</translation>
        </message>
        <message>
            <source>Dispatch to</source>
            <translation>派往</translation>
        </message>
        <message>
            <source>Members</source>
            <translation>队员</translation>
        </message>
        <message>
            <source>On-site lead</source>
            <translation>现场负责人</translation>
        </message>
        <message>
            <source>Level</source>
            <translation>等级</translation>
        </message>
        <message>
            <source>Photos before</source>
            <translation>处置前照片</translation>
        </message>
        <message>
            <source>Photos after</source>
            <translation>处置后照片</translation>
        </message>
        <message>
            <source>is required</source>
            <translation>为必填项</translation>
        </message>
        <message>
            <source>must not be empty</source>
            <translation>不能为空</translation>
        </message>
        <message>
            <source>move to “{column}”</source>
            <translation>移到‘{column}’</translation>
        </message>
        <message>
            <source>Not possible while it is “{state}”: {action}.</source>
            <translation>当前为“{state}”，不能执行“{action}”。</translation>
        </message>
        <message>
            <source>{field}: {problem}</source>
            <translation>{field}：{problem}</translation>
        </message>
        <message>
            <source>It is not on this workstation (any more).</source>
            <translation>本机没有（或已不再有）这条记录。</translation>
        </message>
        <message>
            <source>Not allowed for your account: {reason}</source>
            <translation>您的账号无此权限：{reason}</translation>
        </message>
        <message>
            <source>Not done: {reason}</source>
            <translation>未完成：{reason}</translation>
        </message>
        <message>
            <source>The action was not performed</source>
            <translation>操作未执行</translation>
        </message>
    </context>
    <context>
        <name>PhotoModel</name>
        <message>
            <source>Before</source>
            <translation>处置前</translation>
        </message>
        <message>
            <source>After</source>
            <translation>处置后</translation>
        </message>
        <message>
            <source>Report</source>
            <translation>报告</translation>
        </message>
        <message>
            <source>Double-click to see the full image</source>
            <translation>双击查看原图</translation>
        </message>
        <message>
            <source>Not downloaded yet: it arrives with the next sync</source>
            <translation>尚未下载，下次同步时送达</translation>
        </message>
        <message>
            <source>Downloading…</source>
            <translation>下载中…</translation>
        </message>
    </context>
    <context>
        <name>PhotoPicker</name>
        <message>
            <source>Add…</source>
            <translation>添加…</translation>
        </message>
        <message>
            <source>Choose photos</source>
            <translation>选择照片</translation>
        </message>
        <message>
            <source>Images (*.jpg *.jpeg *.png)</source>
            <translation>图片 (*.jpg *.jpeg *.png)</translation>
        </message>
    </context>
    <context>
        <name>Photos</name>
        <message>
            <source>This workstation is not connected to the county server; the full image cannot be fetched.</source>
            <translation>本工作站未连接县服务器，暂时无法下载原图；联网后再打开即可。</translation>
        </message>
        <message>
            <source>The full image could not be fetched; try again later.</source>
            <translation>原图下载失败，请稍后再试。</translation>
        </message>
        <message>
            <source>Photo</source>
            <translation>照片</translation>
        </message>
        <message>
            <source>The photo file cannot be shown (it is not an image).</source>
            <translation>该文件无法显示（不是图片）。</translation>
        </message>
    </context>
    <context>
        <name>RateDialog</name>
        <message>
            <source>Rate for the month</source>
            <translation>本月评价</translation>
        </message>
        <message>
            <source>Basis of the rating</source>
            <translation>评价依据</translation>
        </message>
        <message>
            <source>Points</source>
            <translation>分值</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
    </context>
    <context>
        <name>ReasonDialog</name>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
    </context>
    <context>
        <name>RedoDialog</name>
        <message>
            <source>Redo: {action}</source>
            <translation>重做：{action}</translation>
        </message>
        <message>
            <source>The server said: {reason}</source>
            <translation>服务器答复：{reason}</translation>
        </message>
        <message>
            <source>It kept: {kept}</source>
            <translation>服务器保留：{kept}</translation>
        </message>
        <message>
            <source>This action has no arguments.</source>
            <translation>该操作没有参数。</translation>
        </message>
        <message>
            <source>Perform again</source>
            <translation>重新执行</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>A value is not valid: {problem}</source>
            <translation>有一个值无效：{problem}</translation>
        </message>
    </context>
    <context>
        <name>Reflist</name>
        <message>
            <source>Code</source>
            <translation>编码</translation>
        </message>
        <message>
            <source>Matter</source>
            <translation>事项</translation>
        </message>
        <message>
            <source>Field</source>
            <translation>领域</translation>
        </message>
        <message>
            <source>Lead department</source>
            <translation>牵头部门</translation>
        </message>
        <message>
            <source>Event categories</source>
            <translation>事件类别</translation>
        </message>
        <message>
            <source>Default route for</source>
            <translation>默认事件类别</translation>
        </message>
        <message>
            <source>Township's duty</source>
            <translation>乡镇职责</translation>
        </message>
        <message>
            <source>Department's duty</source>
            <translation>部门职责</translation>
        </message>
        <message>
            <source>Enforcement</source>
            <translation>执法事项</translation>
        </message>
        <message>
            <source>One thing</source>
            <translation>一件事</translation>
        </message>
        <message>
            <source>Time limits</source>
            <translation>时限</translation>
        </message>
        <message>
            <source>In force</source>
            <translation>现行</translation>
        </message>
        <message>
            <source>Takes effect later</source>
            <translation>待生效</translation>
        </message>
        <message>
            <source>Superseded</source>
            <translation>已停用</translation>
        </message>
        <message>
            <source>Added</source>
            <translation>新增</translation>
        </message>
        <message>
            <source>Removed</source>
            <translation>删除</translation>
        </message>
        <message>
            <source>Changed</source>
            <translation>修改</translation>
        </message>
        <message>
            <source>yes</source>
            <translation>是</translation>
        </message>
        <message>
            <source>no</source>
            <translation>否</translation>
        </message>
        <message>
            <source>Draft, not published</source>
            <translation>草稿，未发布</translation>
        </message>
        <message>
            <source>Published</source>
            <translation>已发布</translation>
        </message>
    </context>
    <context>
        <name>ReflistView</name>
        <message>
            <source>Responsibility list versions</source>
            <translation>清单版本</translation>
        </message>
        <message>
            <source>New version from the one in force…</source>
            <translation>基于现行版本新建…</translation>
        </message>
        <message>
            <source>Read-only: only the county governance centre changes the list.</source>
            <translation>只读：清单仅由县社会治理中心调整。</translation>
        </message>
        <message>
            <source>Proposed amendments from repeated disputes</source>
            <translation>推诿多发事项的清单调整建议</translation>
        </message>
        <message>
            <source>Edit and publish this proposal…</source>
            <translation>编辑并发布此建议…</translation>
        </message>
        <message>
            <source>No proposal: a matter disputed three times in a quarter gets one.</source>
            <translation>暂无调整建议：同一事项一个季度内发生三起推诿争议时，系统会自动提出。</translation>
        </message>
        <message>
            <source>Version</source>
            <translation>版本</translation>
        </message>
        <message>
            <source>Effective from</source>
            <translation>生效日期</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <source>Why it changes</source>
            <translation>调整说明</translation>
        </message>
        <message>
            <source>Add matter</source>
            <translation>新增事项</translation>
        </message>
        <message>
            <source>Remove matter</source>
            <translation>删除事项</translation>
        </message>
        <message>
            <source>Double-click a cell to edit it; categories are codes separated by commas. Changed cells are yellow, new matters green.</source>
            <translation>双击单元格编辑；事件类别填编码，用逗号分隔。改动的单元格为黄色，新增事项为绿色。</translation>
        </message>
        <message>
            <source>Discard the draft</source>
            <translation>放弃草稿</translation>
        </message>
        <message>
            <source>Publish version</source>
            <translation>发布新版本</translation>
        </message>
        <message>
            <source>New version v{n}: v{base} (in force) with the proposed amendment</source>
            <translation>新版本 v{n}：现行 v{base} 加入调整建议</translation>
        </message>
        <message>
            <source>New version v{n}, a copy of v{base} (in force)</source>
            <translation>新版本第 {n} 版（复制自现行第 {base} 版）</translation>
        </message>
        <message>
            <source>Compared with v{base} in force: {added} added · {removed} removed · {changed} changed · {unchanged} unchanged</source>
            <translation>与现行第 {base} 版相比：新增 {added} · 删除 {removed} · 修改 {changed} · 未变 {unchanged}</translation>
        </message>
        <message>
            <source>Cannot publish yet: {problem}</source>
            <translation>暂不能发布：{problem}</translation>
        </message>
    </context>
    <context>
        <name>RejectDialog</name>
        <message>
            <source>Reject report</source>
            <translation>不予受理</translation>
        </message>
        <message>
            <source>Reject {n} report(s). The reporter sees the reason.</source>
            <translation>对 {n} 条报告不予受理，上报人将看到理由。</translation>
        </message>
        <message>
            <source>Choose or type the reason</source>
            <translation>选择或输入理由</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
        <message>
            <source>Reject (Enter)</source>
            <translation>不予受理（回车）</translation>
        </message>
        <message>
            <source>A reason is required.</source>
            <translation>必须填写理由。</translation>
        </message>
        <message>
            <source>Duplicate of a report already handled</source>
            <translation>与已处理的报告重复</translation>
        </message>
        <message>
            <source>Not in this township's jurisdiction</source>
            <translation>不属于本乡镇管辖</translation>
        </message>
        <message>
            <source>Too little information to verify</source>
            <translation>信息不全，无法核实</translation>
        </message>
        <message>
            <source>Already resolved on the spot</source>
            <translation>已现场处置完毕</translation>
        </message>
        <message>
            <source>Not an incident (consultation or suggestion)</source>
            <translation>非事件类（咨询或建议）</translation>
        </message>
        <message>
            <source>Test or mistaken submission</source>
            <translation>测试或误报</translation>
        </message>
    </context>
    <context>
        <name>RejectedModel</name>
        <message>
            <source>Queued</source>
            <translation>提交时间</translation>
        </message>
        <message>
            <source>Action</source>
            <translation>操作</translation>
        </message>
        <message>
            <source>Object</source>
            <translation>对象</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>结果</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
        <message>
            <source>What the server kept</source>
            <translation>服务器保留的内容</translation>
        </message>
        <message>
            <source>(not on this workstation)</source>
            <translation>（本机无此记录）</translation>
        </message>
        <message>
            <source>{field}: {value}</source>
            <translation>{field}：{value}</translation>
        </message>
    </context>
    <context>
        <name>RemindDialog</name>
        <message>
            <source>Send a reminder</source>
            <translation>催办</translation>
        </message>
        <message>
            <source>Level</source>
            <translation>等级</translation>
        </message>
        <message>
            <source>Message to the assignee (optional)</source>
            <translation>给承办方的话（选填）</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>催办内容</translation>
        </message>
    </context>
    <context>
        <name>ReportDetailWidget</name>
        <message>
            <source>Photos</source>
            <translation>照片</translation>
        </message>
        <message>
            <source>Location</source>
            <translation>位置</translation>
        </message>
        <message>
            <source>Responsibility list</source>
            <translation>属地管理事项清单</translation>
        </message>
        <message>
            <source>Select a report to see its details.
A accept · M merge · R reject · Ctrl+Z undo the last merge</source>
            <translation>选择一条报告查看详情。
A 受理 · M 合并 · R 不予受理 · Ctrl+Z 撤销上次合并</translation>
        </message>
        <message>
            <source>reporter marks it {urgency}</source>
            <translation>上报人标注：{urgency}</translation>
        </message>
        <message>
            <source>(number assigned by the server)</source>
            <translation>（编号由服务器分配）</translation>
        </message>
        <message>
            <source>{number} · {source} · reported {when} by {reporter}</source>
            <translation>{number} · {source} · {reporter} 于 {when} 上报</translation>
        </message>
        <message>
            <source>(no location given)</source>
            <translation>（未提供位置）</translation>
        </message>
        <message>
            <source>Handed over by {township}: {reason}</source>
            <translation>由{township}转来：{reason}</translation>
        </message>
        <message>
            <source>Rejected: {reason}</source>
            <translation>不予受理：{reason}</translation>
        </message>
        <message>
            <source>Incident {number}: {title}</source>
            <translation>事件 {number}：{title}</translation>
        </message>
        <message>
            <source>(not numbered yet)</source>
            <translation>（尚未编号）</translation>
        </message>
        <message>
            <source>Double-click to see the full image</source>
            <translation>双击查看原图</translation>
        </message>
        <message>
            <source>{n} photo(s) not downloaded yet</source>
            <translation>另有 {n} 张照片尚未下载</translation>
        </message>
    </context>
    <context>
        <name>ReturnDialog</name>
        <message>
            <source>Return incident</source>
            <translation>退回事件</translation>
        </message>
        <message>
            <source>A return needs a reason. Say who should handle it instead: the county governance center arbitrates.</source>
            <translation>退回须说明理由，并提出应由谁承办；由县社会治理中心裁定。</translation>
        </message>
        <message>
            <source>Why this is not yours to handle (required)</source>
            <translation>不属本单位承办的理由（必填）</translation>
        </message>
        <message>
            <source>Why this is not our department's duty (cite the list)</source>
            <translation>为什么不属于本部门职责（请引用清单）</translation>
        </message>
        <message>
            <source>(no list matter proposed)</source>
            <translation>（不建议清单事项）</translation>
        </message>
        <message>
            <source>(no department proposed)</source>
            <translation>（不建议部门）</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
        <message>
            <source>Should be list matter</source>
            <translation>应属清单事项</translation>
        </message>
        <message>
            <source>A return needs a reason and at least one proposal; the county arbitrates.</source>
            <translation>退回须写明理由，并至少提出一项处理建议；由县里裁决。</translation>
        </message>
        <message>
            <source>(no proposal)</source>
            <translation>（不提建议）</translation>
        </message>
        <message>
            <source>Should be handled by</source>
            <translation>建议承办单位</translation>
        </message>
        <message>
            <source>Basis for the proposal, e.g. the list item (optional)</source>
            <translation>依据，如清单条目（选填）</translation>
        </message>
        <message>
            <source>Basis</source>
            <translation>依据说明</translation>
        </message>
    </context>
    <context>
        <name>RosterEditor</name>
        <message>
            <source>◀ Previous week</source>
            <translation>◀ 上一周</translation>
        </message>
        <message>
            <source>This week</source>
            <translation>本周</translation>
        </message>
        <message>
            <source>Next week ▶</source>
            <translation>下一周 ▶</translation>
        </message>
        <message>
            <source>Copy last week</source>
            <translation>复制上周排班</translation>
        </message>
        <message>
            <source>Discard edits</source>
            <translation>放弃修改</translation>
        </message>
        <message>
            <source>Save roster</source>
            <translation>保存排班</translation>
        </message>
        <message>
            <source>Click a cell to cycle: day shift 08–18 → night shift 18–08 → full day 08–08 → off. Shifts in other zones are shown under the cell; clashes are red.</source>
            <translation>单击格子依次切换：白班 08–18 → 夜班 18–08 → 全天 08–08 → 休息。队员在其他片区的班次显示在格内下方；冲突以红色标出。</translation>
        </message>
        <message>
            <source>{a} to {b}</source>
            <translation>{a} 至 {b}</translation>
        </message>
        <message>
            <source>Resolve the clashes first</source>
            <translation>请先解决排班冲突</translation>
        </message>
        <message>
            <source>{n} shifts</source>
            <translation>共 {n} 个班次</translation>
        </message>
        <message>
            <source>unsaved changes</source>
            <translation>有未保存的修改</translation>
        </message>
        <message>
            <source>saved</source>
            <translation>已保存</translation>
        </message>
        <message>
            <source>Clashes ({n}):</source>
            <translation>排班冲突（{n} 处）：</translation>
        </message>
        <message>
            <source>The week has clashes: resolve them before saving.</source>
            <translation>本周排班存在冲突，请先解决再保存。</translation>
        </message>
        <message>
            <source>Replace this week's roster with last week's?</source>
            <translation>用上周排班替换本周排班？</translation>
        </message>
    </context>
    <context>
        <name>Routing</name>
        <message>
            <source>Acknowledge by</source>
            <translation>签收时限</translation>
        </message>
        <message>
            <source>On site by</source>
            <translation>到场时限</translation>
        </message>
        <message>
            <source>Close by</source>
            <translation>办结时限</translation>
        </message>
        <message>
            <source>The responsibility list cannot route this report here.</source>
            <translation>属地管理事项清单暂无法为该报告给出路由。</translation>
        </message>
        <message>
            <source>outside the list: township accepts, county and township handle jointly</source>
            <translation>清单外事项：乡镇受理、县乡联办</translation>
        </message>
        <message>
            <source>list v{n}</source>
            <translation>清单第 {n} 版</translation>
        </message>
        <message>
            <source>Matter</source>
            <translation>事项</translation>
        </message>
        <message>
            <source>Lead department</source>
            <translation>牵头部门</translation>
        </message>
        <message>
            <source>(none)</source>
            <translation>（无）</translation>
        </message>
        <message>
            <source>Township duty</source>
            <translation>乡镇职责</translation>
        </message>
        <message>
            <source>Department duty</source>
            <translation>部门职责</translation>
        </message>
        <message>
            <source>Enforcement</source>
            <translation>执法事项</translation>
        </message>
        <message>
            <source>Yes: the zone's enforcement team handles it</source>
            <translation>是：由片区综合行政执法队处置</translation>
        </message>
        <message>
            <source>Deadlines</source>
            <translation>时限</translation>
        </message>
    </context>
    <context>
        <name>ScoreDialog</name>
        <message>
            <source>Rating module</source>
            <translation>评分模块</translation>
        </message>
        <message>
            <source>Basis of the score</source>
            <translation>评分依据</translation>
        </message>
        <message>
            <source>Points</source>
            <translation>分值</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
    </context>
    <context>
        <name>SettingsDialog</name>
        <message>
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <source>Language</source>
            <translation>语言</translation>
        </message>
        <message>
            <source>Light</source>
            <translation>浅色</translation>
        </message>
        <message>
            <source>Dark</source>
            <translation>深色</translation>
        </message>
        <message>
            <source>Theme</source>
            <translation>主题</translation>
        </message>
        <message>
            <source>Play a sound for urgent reports</source>
            <translation>紧急报告时播放提示音</translation>
        </message>
        <message>
            <source>Sound</source>
            <translation>声音</translation>
        </message>
        <message>
            <source>County server</source>
            <translation>县级服务器</translation>
        </message>
        <message>
            <source>e.g. Qiuchuan command room desk 1</source>
            <translation>例如：球川镇指挥室 1 号席位</translation>
        </message>
        <message>
            <source>Workstation name</source>
            <translation>工作站名称</translation>
        </message>
        <message>
            <source>Theme and sound change at once. The language changes at the next start; the server and the workstation name are used from the next sign-in.</source>
            <translation>主题和声音立即生效；语言在下次启动时生效；服务器地址和工作站名称在下次登录时使用。</translation>
        </message>
        <message>
            <source>Set for this run by a flag or an environment variable, which wins over what is saved here: {keys}</source>
            <translation>本次运行由命令行参数或环境变量指定（优先于此处保存的值）：{keys}</translation>
        </message>
        <message>
            <source>Save</source>
            <translation>保存</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>The county server's address must start with http:// or https://.</source>
            <translation>县服务器地址须以 http:// 或 https:// 开头。</translation>
        </message>
        <message>
            <source>Not saved: {message}</source>
            <translation>未保存：{message}</translation>
        </message>
        <message>
            <source>Not saved: the settings file cannot be written ({error}).</source>
            <translation>未保存：无法写入设置文件（{error}）。</translation>
        </message>
    </context>
    <context>
        <name>StatsView</name>
        <message>
            <source>Response times of team dispatches (from assignment)</source>
            <translation>队伍派单响应时效（自派单起算）</translation>
        </message>
        <message>
            <source>Export to Excel…</source>
            <translation>导出 Excel…</translation>
        </message>
        <message>
            <source>Per zone</source>
            <translation>按片区</translation>
        </message>
        <message>
            <source>Per member</source>
            <translation>按队员</translation>
        </message>
        <message>
            <source>Per member: {zone}</source>
            <translation>按队员：{zone}</translation>
        </message>
        <message>
            <source>Export response times</source>
            <translation>导出响应时效</translation>
        </message>
        <message>
            <source>Excel workbook (*.xlsx)</source>
            <translation>Excel 工作簿 (*.xlsx)</translation>
        </message>
        <message>
            <source>Zones</source>
            <translation>片区</translation>
        </message>
        <message>
            <source>Members</source>
            <translation>队员</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>名称</translation>
        </message>
        <message>
            <source>Zone</source>
            <translation>片区</translation>
        </message>
        <message>
            <source>Dispatches</source>
            <translation>派单数</translation>
        </message>
        <message>
            <source>Acknowledge median (min)</source>
            <translation>签收中位数（分钟）</translation>
        </message>
        <message>
            <source>Acknowledge p90 (min)</source>
            <translation>签收P90（分钟）</translation>
        </message>
        <message>
            <source>On scene median (min)</source>
            <translation>到场中位数（分钟）</translation>
        </message>
        <message>
            <source>On scene p90 (min)</source>
            <translation>到场P90（分钟）</translation>
        </message>
        <message>
            <source>Done median (min)</source>
            <translation>完成中位数（分钟）</translation>
        </message>
        <message>
            <source>Done p90 (min)</source>
            <translation>完成P90（分钟）</translation>
        </message>
        <message>
            <source>Period</source>
            <translation>统计期间</translation>
        </message>
        <message>
            <source>Saved {path}</source>
            <translation>已保存 {path}</translation>
        </message>
    </context>
    <context>
        <name>StatusBarWidget</name>
        <message>
            <source>Open the conflicts panel</source>
            <translation>打开冲突与退回</translation>
        </message>
        <message>
            <source>Downloading %p%</source>
            <translation>下载数据 %p%</translation>
        </message>
        <message>
            <source>Cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>Stop the download. What has arrived is kept; the next sync continues from there.</source>
            <translation>停止下载。已下载的数据保留，下次同步时从中断处继续。</translation>
        </message>
        <message>
            <source>Resume now</source>
            <translation>立即继续</translation>
        </message>
        <message>
            <source>Download cancelled · continues at {time} with the next sync</source>
            <translation>下载已取消 · {time} 下次同步时继续</translation>
        </message>
        <message>
            <source>Upgrade required</source>
            <translation>需要升级</translation>
        </message>
        <message>
            <source>Syncing…</source>
            <translation>同步中…</translation>
        </message>
        <message>
            <source>Online</source>
            <translation>在线</translation>
        </message>
        <message>
            <source>Offline</source>
            <translation>离线</translation>
        </message>
        <message>
            <source>Offline since {time}</source>
            <translation>离线 自 {time}</translation>
        </message>
        <message>
            <source>Unsynced {n}</source>
            <translation>待同步 {n}</translation>
        </message>
        <message>
            <source>Rejected {n}</source>
            <translation>被拒 {n}</translation>
        </message>
        <message>
            <source>Not synced yet</source>
            <translation>尚未同步</translation>
        </message>
        <message>
            <source>Last sync {time}</source>
            <translation>上次同步 {time}</translation>
        </message>
        <message>
            <source>Clock off by {amount}</source>
            <translation>本机时钟与服务器相差 {amount}</translation>
        </message>
        <message>
            <source>This computer's clock is {amount} ahead of the county server.</source>
            <translation>本机时钟比县服务器快 {amount}。</translation>
        </message>
        <message>
            <source>This computer's clock is {amount} behind the county server.</source>
            <translation>本机时钟比县服务器慢 {amount}。</translation>
        </message>
        <message>
            <source>Deadline countdowns and the times on this workstation follow the server's clock.</source>
            <translation>本工作站的时限倒计时和各处时间已按服务器时钟校正。</translation>
        </message>
        <message>
            <source>Ask IT to set this computer's clock: other programs on it use the wrong time.</source>
            <translation>请联系信息化人员校准本机时钟：本机其他程序使用的时间有误。</translation>
        </message>
        <message>
            <source>Server time (this computer's clock is off by {amount})</source>
            <translation>服务器时间（本机时钟相差 {amount}）</translation>
        </message>
        <message>
            <source>{n} s</source>
            <translation>{n} 秒</translation>
        </message>
        <message>
            <source>{n} min</source>
            <translation>{n} 分钟</translation>
        </message>
        <message>
            <source>{n} h</source>
            <translation>{n} 小时</translation>
        </message>
        <message>
            <source>{n} days</source>
            <translation>{n} 天</translation>
        </message>
        <message>
            <source>Pause</source>
            <translation>暂停</translation>
        </message>
        <message>
            <source>Pause the base map download; what has arrived is kept and it continues where it stopped.</source>
            <translation>暂停下载底图；已下载的部分保留，继续时从中断处接着下载。</translation>
        </message>
        <message>
            <source>Continue</source>
            <translation>继续</translation>
        </message>
        <message>
            <source>base map</source>
            <translation>底图</translation>
        </message>
        <message>
            <source>Base map %p%</source>
            <translation>底图 %p%</translation>
        </message>
        <message>
            <source>{done:.1f} of {total:.1f} MB</source>
            <translation>{done:.1f} / {total:.1f} MB</translation>
        </message>
        <message>
            <source>Base map download paused ({name}, {mb})</source>
            <translation>底图下载已暂停（{name}，{mb}）</translation>
        </message>
        <message>
            <source>Downloading the base map {name}: {mb}</source>
            <translation>正在下载底图 {name}：{mb}</translation>
        </message>
        <message>
            <source>The base map could not be downloaded; the map keeps the one it has. It is tried again after the next sync.</source>
            <translation>底图未能下载，地图继续使用现有底图；下次同步后再试。</translation>
        </message>
    </context>
    <context>
        <name>StatusDialog</name>
        <message>
            <source>Status and position</source>
            <translation>状态和位置</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>(position unchanged)</source>
            <translation>（位置不变）</translation>
        </message>
        <message>
            <source>Position</source>
            <translation>位置</translation>
        </message>
    </context>
    <context>
        <name>StepStrip</name>
        <message>
            <source>Done {when} by {who}</source>
            <translation>{who} 于 {when} 完成</translation>
        </message>
        <message>
            <source>(after the step's limit {due})</source>
            <translation>（超过本步骤时限 {due}）</translation>
        </message>
        <message>
            <source>Current step</source>
            <translation>当前步骤</translation>
        </message>
        <message>
            <source>Current step, due {due} ({days} working days)</source>
            <translation>当前步骤，时限 {due}（{days} 个工作日）</translation>
        </message>
        <message>
            <source>Not started</source>
            <translation>未开始</translation>
        </message>
        <message>
            <source>{days} working days</source>
            <translation>{days} 个工作日</translation>
        </message>
    </context>
    <context>
        <name>SummonDialog</name>
        <message>
            <source>Summon (blow the whistle)</source>
            <translation>吹哨</translation>
        </message>
        <message>
            <source> h</source>
            <translation> 小时</translation>
        </message>
        <message>
            <source>Count working hours only</source>
            <translation>只计工作时间</translation>
        </message>
        <message>
            <source>What the summoned should bring or do</source>
            <translation>需被召集单位带来或办理的事项</translation>
        </message>
        <message>
            <source>Summon</source>
            <translation>召集</translation>
        </message>
        <message>
            <source>Check in within</source>
            <translation>报到时限</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>备注</translation>
        </message>
    </context>
    <context>
        <name>TaskBoardsPage</name>
        <message>
            <source>Module boards</source>
            <translation>模块看板</translation>
        </message>
        <message>
            <source>My tasks</source>
            <translation>我的任务</translation>
        </message>
        <message>
            <source>Linked command</source>
            <translation>联动指挥</translation>
        </message>
    </context>
    <context>
        <name>TeamDispatchDialog</name>
        <message>
            <source>Joint visit</source>
            <translation>综合查一次</translation>
        </message>
        <message>
            <source>Dispatch to the zone team</source>
            <translation>派给片区执法队</translation>
        </message>
        <message>
            <source>Nobody of the {zone} team is on duty now: lend a member from a neighbouring zone on the zone board, or dispatch to a department.</source>
            <translation>{zone}执法队当前无人在岗：请在片区看板从相邻片区借调队员，或派给县级部门。</translation>
        </message>
        <message>
            <source>Instructions for the team (optional)</source>
            <translation>给队员的指示（可选）</translation>
        </message>
        <message>
            <source>Start joint visit</source>
            <translation>开始综合查一次</translation>
        </message>
        <message>
            <source>Dispatch</source>
            <translation>派单</translation>
        </message>
        <message>
            <source>Joint visit by the {zone} team: {n} incidents in one trip</source>
            <translation>{zone}执法队综合查一次：一趟处置 {n} 件事件</translation>
        </message>
        <message>
            <source>Dispatch to the {zone} team: {subject}</source>
            <translation>派给{zone}执法队：{subject}</translation>
        </message>
        <message>
            <source>Lead enforcer (主办): only a non-auxiliary member with a certificate valid today.</source>
            <translation>主办执法人员：须为非辅助人员且持有当日有效的执法证。</translation>
        </message>
        <message>
            <source>Choose the lead enforcer in the Lead column ({n} selected)</source>
            <translation>请在“主办”列选择主办执法人员（已选 {n} 人）</translation>
        </message>
        <message>
            <source>Lead: {name} · {n} members</source>
            <translation>主办：{name} · 共 {n} 人</translation>
        </message>
    </context>
    <context>
        <name>TimelineModel</name>
        <message>
            <source>(offline entry)</source>
            <translation>离线录入</translation>
        </message>
        <message>
            <source>System</source>
            <translation>系统</translation>
        </message>
        <message>
            <source>(proxy entry)</source>
            <translation>（代录）</translation>
        </message>
        <message>
            <source>Counter-proposal: {text}</source>
            <translation>建议：{text}</translation>
        </message>
        <message>
            <source>{n} photo(s)</source>
            <translation>{n} 张照片</translation>
        </message>
        <message>
            <source>Closed without what the rule asks: {reason}</source>
            <translation>未达结案要求强制结案：{reason}</translation>
        </message>
        <message>
            <source>Still to check: {who}</source>
            <translation>尚待{who}核查</translation>
        </message>
        <message>
            <source>Entered offline at {at}; uploaded to the county server at {received}.</source>
            <translation>离线录入于 {at}，{received} 上传到县服务器。</translation>
        </message>
        <message>
            <source>The workstation's clock was off when this was entered; the time shown is the server's best estimate.</source>
            <translation>录入时本机时钟不准，显示的时间为服务器校正后的估计。</translation>
        </message>
    </context>
    <context>
        <name>TownshipFiguresModel</name>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>Closed within its own duty</source>
            <translation>属地自办结案</translation>
        </message>
        <message>
            <source>Its returns upheld / overturned</source>
            <translation>乡镇退回 维持 / 撤销</translation>
        </message>
        <message>
            <source>Its contests rejected</source>
            <translation>乡镇异议被驳回</translation>
        </message>
        <message>
            <source>Verifications (rejected)</source>
            <translation>核查（不通过）</translation>
        </message>
        <message>
            <source>Reopened</source>
            <translation>重新打开</translation>
        </message>
        <message>
            <source>Proxy entries for departments</source>
            <translation>代录部门操作</translation>
        </message>
        <message>
            <source>Departments' rating</source>
            <translation>部门评价</translation>
        </message>
    </context>
    <context>
        <name>TownshipIndicatorModel</name>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>Sent to departments</source>
            <translation>派往部门</translation>
        </message>
        <message>
            <source>Returned</source>
            <translation>被退回</translation>
        </message>
        <message>
            <source>Return rate</source>
            <translation>退回率</translation>
        </message>
        <message>
            <source>Verification median (h)</source>
            <translation>核查用时中位数（小时）</translation>
        </message>
        <message>
            <source>Summons</source>
            <translation>吹哨次数</translation>
        </message>
        <message>
            <source>Cases ordered</source>
            <translation>一件事点单</translation>
        </message>
        <message>
            <source>Cases completed (on time)</source>
            <translation>一件事办结（按时）</translation>
        </message>
        <message>
            <source>Cases on time</source>
            <translation>一件事按时办结率</translation>
        </message>
        <message>
            <source>Closed</source>
            <translation>已办结</translation>
        </message>
        <message>
            <source>Closed by override</source>
            <translation>未达要求强制结案</translation>
        </message>
        <message>
            <source>Closures rejected</source>
            <translation>核查退回</translation>
        </message>
    </context>
    <context>
        <name>TransferDialog</name>
        <message>
            <source>Hand over to another township</source>
            <translation>转交其他乡镇</translation>
        </message>
        <message>
            <source>Hand {n} report(s) over to the township they belong to. They leave this inbox and wait in theirs.</source>
            <translation>将 {n} 条上报转交所属乡镇：它们离开本收件箱，在对方收件箱中待受理。</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>The location lies in your township</source>
            <translation>事发位置属贵乡镇辖区</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
        <message>
            <source>Hand over (Enter)</source>
            <translation>转交（回车）</translation>
        </message>
        <message>
            <source>Choose the township.</source>
            <translation>请选择乡镇。</translation>
        </message>
        <message>
            <source>A reason is required.</source>
            <translation>必须填写理由。</translation>
        </message>
    </context>
    <context>
        <name>TwoWay</name>
        <message>
            <source>{on} on time · {late} late · {proxy} proxy · {missing} not done</source>
            <translation>按时 {on} · 超时 {late} · 代录 {proxy} · 未办 {missing}</translation>
        </message>
    </context>
    <context>
        <name>TwoWayView</name>
        <message>
            <source>Whole county</source>
            <translation>全县</translation>
        </message>
        <message>
            <source>Rate the department…</source>
            <translation>评价部门…</translation>
        </message>
        <message>
            <source>Rate the township…</source>
            <translation>评价乡镇…</translation>
        </message>
        <message>
            <source>Month</source>
            <translation>月份</translation>
        </message>
        <message>
            <source>Every figure counts acts on the record: a department's own sign-for and check-in by its deadline; entries the township typed in for it (proxy) are counted apart and never as its own on-time act. Returns are upheld or overturned by the county's arbitration.</source>
            <translation>每项数字都来自记录在案的实际操作：部门本身在时限内的签收、报到；乡镇代为录入的（代录）单独统计，不算作部门本身的按时操作。退回是否成立以县级仲裁为准。</translation>
        </message>
        <message>
            <source>Township → department (from the department's own acts)</source>
            <translation>乡镇评部门（依据部门本身的操作）</translation>
        </message>
        <message>
            <source>Department → township (from the township's acts)</source>
            <translation>部门评乡镇（依据乡镇的操作）</translation>
        </message>
    </context>
    <context>
        <name>UrgentReportWatcher</name>
        <message>
            <source>Urgent report: {category} at {place}, {township}</source>
            <translation>紧急上报：{township} {place}，{category}</translation>
        </message>
        <message>
            <source>Show</source>
            <translation>查看</translation>
        </message>
    </context>
    <context>
        <name>VerifyDialog</name>
        <message>
            <source>Verify the result</source>
            <translation>核查</translation>
        </message>
        <message>
            <source>Passed: close the incident</source>
            <translation>通过：办结事件</translation>
        </message>
        <message>
            <source>Failed: back to handling</source>
            <translation>不通过：退回处置</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>核查结果</translation>
        </message>
        <message>
            <source>Verified by</source>
            <translation>核查人</translation>
        </message>
        <message>
            <source>What was checked; required when it failed</source>
            <translation>核查情况；不通过时必填</translation>
        </message>
        <message>
            <source>Note</source>
            <translation>核查情况</translation>
        </message>
        <message>
            <source>Check photos</source>
            <translation>核查照片</translation>
        </message>
    </context>
    <context>
        <name>VersionModel</name>
        <message>
            <source>Version</source>
            <translation>版本</translation>
        </message>
        <message>
            <source>Effective from</source>
            <translation>生效日期</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <source>Matters</source>
            <translation>事项数</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>v{n}</source>
            <translation>第 {n} 版</translation>
        </message>
        <message>
            <source>Illustrative data (not an official list)</source>
            <translation>示意数据（非正式清单）</translation>
        </message>
    </context>
    <context>
        <name>VetoDialog</name>
        <message>
            <source>Reverse veto</source>
            <translation>反向否决</translation>
        </message>
        <message>
            <source>The township's party committee vetoes this dispatched cadre for the month: the points stay visible, but the cadre is not eligible for awards.</source>
            <translation>乡镇党委对该派驻干部本月行使反向否决：分数照常显示，但不得评优评先。</translation>
        </message>
        <message>
            <source>Reason (required)</source>
            <translation>理由（必填）</translation>
        </message>
        <message>
            <source>Reason</source>
            <translation>理由</translation>
        </message>
    </context>
    <context>
        <name>WallBanner</name>
        <message>
            <source>Not connected to the server · showing this workstation's data</source>
            <translation>未连接服务器 · 显示本机数据</translation>
        </message>
        <message>
            <source>data as of {time}</source>
            <translation>数据截至 {time}</translation>
        </message>
        <message>
            <source>not synced yet</source>
            <translation>尚未同步</translation>
        </message>
        <message>
            <source>Client upgrade required · {as_of}</source>
            <translation>需要升级客户端 · {as_of}</translation>
        </message>
        <message>
            <source>Sign-in expired · {as_of}</source>
            <translation>登录已失效 · {as_of}</translation>
        </message>
        <message>
            <source>Offline since {since} · {as_of}</source>
            <translation>离线 自 {since} · {as_of}</translation>
        </message>
        <message>
            <source>Offline · {as_of}</source>
            <translation>离线 · {as_of}</translation>
        </message>
        <message>
            <source>Sync delayed · {as_of}</source>
            <translation>同步延迟 · {as_of}</translation>
        </message>
    </context>
    <context>
        <name>WallBoardsPage</name>
        <message>
            <source>Overdue cards</source>
            <translation>超期卡片</translation>
        </message>
        <message>
            <source>Modules over their WIP limit</source>
            <translation>超出在办上限的模块</translation>
        </message>
        <message>
            <source>Module</source>
            <translation>模块</translation>
        </message>
        <message>
            <source>Lead</source>
            <translation>牵头人</translation>
        </message>
        <message>
            <source>Overdue</source>
            <translation>超期</translation>
        </message>
        <message>
            <source>Modules that need attention</source>
            <translation>需要关注的模块</translation>
        </message>
        <message>
            <source>No cards on the task boards.</source>
            <translation>任务看板上暂无卡片。</translation>
        </message>
    </context>
    <context>
        <name>WallCasesPage</name>
        <message>
            <source>Open cases</source>
            <translation>在办案件</translation>
        </message>
        <message>
            <source>Overdue cases</source>
            <translation>超期案件</translation>
        </message>
        <message>
            <source>Completed in 30 days</source>
            <translation>近30日办结</translation>
        </message>
        <message>
            <source>Departments not checked in</source>
            <translation>未报到部门</translation>
        </message>
        <message>
            <source>Case</source>
            <translation>案件</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>类型</translation>
        </message>
        <message>
            <source>Lead</source>
            <translation>牵头部门</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Deadline</source>
            <translation>办结时限</translation>
        </message>
        <message>
            <source>Department</source>
            <translation>部门</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>报到时限</translation>
        </message>
        <message>
            <source>Open cases, most urgent first</source>
            <translation>在办案件（按紧迫程度）</translation>
        </message>
        <message>
            <source>Waiting for check-in</source>
            <translation>等待报到</translation>
        </message>
        <message>
            <source>on time {p}</source>
            <translation>按时率 {p}</translation>
        </message>
        <message>
            <source>{n} late</source>
            <translation>其中超时 {n}</translation>
        </message>
        <message>
            <source>{h} h late</source>
            <translation>已超期 {h} 小时</translation>
        </message>
        <message>
            <source>No open one-thing cases.</source>
            <translation>暂无在办的一件事案件。</translation>
        </message>
        <message>
            <source>Every department has checked in.</source>
            <translation>各部门均已报到。</translation>
        </message>
    </context>
    <context>
        <name>WallCharts</name>
        <message>
            <source>No data yet</source>
            <translation>暂无数据</translation>
        </message>
        <message>
            <source>{h}h</source>
            <translation>{h}时</translation>
        </message>
    </context>
    <context>
        <name>WallLabels</name>
        <message>
            <source>Ordered</source>
            <translation>已点单</translation>
        </message>
        <message>
            <source>Checking in</source>
            <translation>报到中</translation>
        </message>
        <message>
            <source>In progress</source>
            <translation>办理中</translation>
        </message>
        <message>
            <source>Completed</source>
            <translation>已办结</translation>
        </message>
        <message>
            <source>Supervised</source>
            <translation>已督办</translation>
        </message>
        <message>
            <source>To do</source>
            <translation>待办</translation>
        </message>
        <message>
            <source>Doing</source>
            <translation>进行中</translation>
        </message>
        <message>
            <source>To check</source>
            <translation>待验收</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>已办结</translation>
        </message>
        <message>
            <source>Busy</source>
            <translation>忙</translation>
        </message>
        <message>
            <source>Normal</source>
            <translation>正常</translation>
        </message>
        <message>
            <source>Idle</source>
            <translation>闲</translation>
        </message>
        <message>
            <source>Nobody on duty</source>
            <translation>无人在岗</translation>
        </message>
        <message>
            <source>Situation overview</source>
            <translation>态势总览</translation>
        </message>
        <message>
            <source>Incident map</source>
            <translation>事件地图</translation>
        </message>
        <message>
            <source>Enforcement teams in the 7 zones</source>
            <translation>七大片区执法力量</translation>
        </message>
        <message>
            <source>One-thing cases</source>
            <translation>一件事联办</translation>
        </message>
        <message>
            <source>Task boards</source>
            <translation>任务看板</translation>
        </message>
        <message>
            <source>Urgent incident</source>
            <translation>紧急事件</translation>
        </message>
    </context>
    <context>
        <name>WallMapPage</name>
        <message>
            <source>The map is not available on this workstation.</source>
            <translation>本机无法显示地图。</translation>
        </message>
    </context>
    <context>
        <name>WallOverviewPage</name>
        <message>
            <source>Reports today</source>
            <translation>今日上报</translation>
        </message>
        <message>
            <source>Open incidents</source>
            <translation>在办事件</translation>
        </message>
        <message>
            <source>Overdue</source>
            <translation>超期</translation>
        </message>
        <message>
            <source>On-time closure this month</source>
            <translation>本月按时办结率</translation>
        </message>
        <message>
            <source>Team members on duty</source>
            <translation>在岗队员</translation>
        </message>
        <message>
            <source>Reports per hour today</source>
            <translation>今日每小时上报量</translation>
        </message>
        <message>
            <source>Top categories, last 24 hours</source>
            <translation>近24小时高发事件类别</translation>
        </message>
        <message>
            <source>Open incidents per zone</source>
            <translation>各片区在办事件</translation>
        </message>
        <message>
            <source>On-time closure rate, last 30 days</source>
            <translation>近30日按时办结率</translation>
        </message>
        <message>
            <source>Usual by now: {n}</source>
            <translation>近7日同时段均值 {n}</translation>
        </message>
        <message>
            <source>{p} of open</source>
            <translation>占在办 {p}</translation>
        </message>
        <message>
            <source>{n} closed this month</source>
            <translation>本月办结 {n} 件</translation>
        </message>
        <message>
            <source>by the duty roster</source>
            <translation>按排班统计</translation>
        </message>
        <message>
            <source>by member status (no roster)</source>
            <translation>按队员状态统计（未排班）</translation>
        </message>
        <message>
            <source>no team data</source>
            <translation>暂无队伍数据</translation>
        </message>
        <message>
            <source>latest day {p}</source>
            <translation>最近一日 {p}</translation>
        </message>
        <message>
            <source>30 days {p}</source>
            <translation>30日合计 {p}</translation>
        </message>
        <message>
            <source>Today</source>
            <translation>今日</translation>
        </message>
        <message>
            <source>This hour</source>
            <translation>本小时</translation>
        </message>
        <message>
            <source>7-day average</source>
            <translation>近7日均值</translation>
        </message>
        <message>
            <source>Open</source>
            <translation>在办</translation>
        </message>
    </context>
    <context>
        <name>WallToggle</name>
        <message>
            <source>Wall screen</source>
            <translation>大屏</translation>
        </message>
        <message>
            <source>Open the wall screen (full screen, on another screen if there is one)</source>
            <translation>打开大屏显示（全屏；有其他显示器时显示在其他显示器上）</translation>
        </message>
    </context>
    <context>
        <name>WallUrgentCard</name>
        <message>
            <source>URGENT</source>
            <translation>紧急</translation>
        </message>
        <message>
            <source>Urgent incident</source>
            <translation>紧急事件</translation>
        </message>
        <message>
            <source>Urgent report</source>
            <translation>紧急上报</translation>
        </message>
        <message>
            <source>reported {time}</source>
            <translation>{time} 上报</translation>
        </message>
        <message>
            <source>{n} more urgent waiting</source>
            <translation>另有 {n} 起紧急事件待显示</translation>
        </message>
    </context>
    <context>
        <name>WallWindow</name>
        <message>
            <source>Monday</source>
            <translation>星期一</translation>
        </message>
        <message>
            <source>Tuesday</source>
            <translation>星期二</translation>
        </message>
        <message>
            <source>Wednesday</source>
            <translation>星期三</translation>
        </message>
        <message>
            <source>Thursday</source>
            <translation>星期四</translation>
        </message>
        <message>
            <source>Friday</source>
            <translation>星期五</translation>
        </message>
        <message>
            <source>Saturday</source>
            <translation>星期六</translation>
        </message>
        <message>
            <source>Sunday</source>
            <translation>星期日</translation>
        </message>
        <message>
            <source>Command Room wall screen</source>
            <translation>指挥室大屏</translation>
        </message>
        <message>
            <source>Integrated Information Command Room</source>
            <translation>乡镇综合信息指挥室</translation>
        </message>
        <message>
            <source>Press Esc again within 5 seconds to leave full screen</source>
            <translation>5 秒内再按一次 Esc 退出全屏</translation>
        </message>
        <message>
            <source>{place} Integrated Information Command Room</source>
            <translation>{place}综合信息指挥室</translation>
        </message>
        <message>
            <source>{place} wall screen</source>
            <translation>{place}指挥室大屏</translation>
        </message>
        <message>
            <source>No reports yet.</source>
            <translation>暂无上报。</translation>
        </message>
        <message>
            <source>reported by {who}</source>
            <translation>上报人 {who}</translation>
        </message>
        <message>
            <source>[URGENT]</source>
            <translation>【紧急】</translation>
        </message>
        <message>
            <source>{y}-{m:02d}-{d:02d} · {weekday}</source>
            <translation>{y}年{m}月{d}日 · {weekday}</translation>
        </message>
    </context>
    <context>
        <name>WallZonesPage</name>
        <message>
            <source>Workload = open enforcement incidents per member on duty</source>
            <translation>负荷 = 执法类在办事件数 ÷ 在岗队员数</translation>
        </message>
        <message>
            <source>No zones in this workstation's data.</source>
            <translation>本机数据中没有片区。</translation>
        </message>
        <message>
            <source>On duty</source>
            <translation>在岗</translation>
        </message>
        <message>
            <source>Available</source>
            <translation>空闲</translation>
        </message>
        <message>
            <source>Open</source>
            <translation>执法在办</translation>
        </message>
        <message>
            <source>Overdue</source>
            <translation>超期</translation>
        </message>
        <message>
            <source>Workload {load} per member</source>
            <translation>人均负荷 {load}</translation>
        </message>
    </context>
    <context>
        <name>WorkModel</name>
        <message>
            <source>Kind</source>
            <translation>类别</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>编号</translation>
        </message>
        <message>
            <source>Matter</source>
            <translation>事项</translation>
        </message>
        <message>
            <source>Our part</source>
            <translation>本部门角色</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Clock</source>
            <translation>时限</translation>
        </message>
        <message>
            <source>Due</source>
            <translation>截止</translation>
        </message>
        <message>
            <source>Countdown</source>
            <translation>倒计时</translation>
        </message>
    </context>
    <context>
        <name>YearModel</name>
        <message>
            <source>Year</source>
            <translation>年份</translation>
        </message>
        <message>
            <source>Holiday days</source>
            <translation>放假天数</translation>
        </message>
        <message>
            <source>Make-up working days</source>
            <translation>调休上班</translation>
        </message>
        <message>
            <source>Source</source>
            <translation>来源</translation>
        </message>
        <message>
            <source>Published at</source>
            <translation>发布时间</translation>
        </message>
        <message>
            <source>not published (package)</source>
            <translation>未发布（程序包内置）</translation>
        </message>
        <message>
            <source>Published by {name}</source>
            <translation>发布人：{name}</translation>
        </message>
    </context>
    <context>
        <name>ZoneBoardWidget</name>
        <message>
            <source>↘ lent in · orange frame: certificate expiring or expired</source>
            <translation>↘ 借入队员 · 橙框：执法证即将到期或已过期</translation>
        </message>
        <message>
            <source>{n} zones · {m} members on duty</source>
            <translation>{n} 个片区 · 在岗 {m} 人</translation>
        </message>
        <message>
            <source>busy: {zones}</source>
            <translation>忙：{zones}</translation>
        </message>
        <message>
            <source>idle: {zones}</source>
            <translation>闲：{zones}</translation>
        </message>
        <message>
            <source>nobody on duty: {zones}</source>
            <translation>无人在岗：{zones}</translation>
        </message>
        <message>
            <source>as of {time}</source>
            <translation>更新于 {time}</translation>
        </message>
    </context>
    <context>
        <name>ZoneCard</name>
        <message>
            <source>Adjust…</source>
            <translation>调整…</translation>
        </message>
        <message>
            <source>Show on map</source>
            <translation>在地图上显示</translation>
        </message>
        <message>
            <source>Lend a member…</source>
            <translation>借调队员…</translation>
        </message>
        <message>
            <source>hub: {hub}</source>
            <translation>驻地：{hub}</translation>
        </message>
        <message>
            <source>Serves: {towns}</source>
            <translation>服务：{towns}</translation>
        </message>
        <message>
            <source>Nobody on duty</source>
            <translation>无人在岗</translation>
        </message>
        <message>
            <source>Open enforcement incidents per member on duty: {load}</source>
            <translation>在岗队员人均待办执法事件：{load} 件</translation>
        </message>
        <message>
            <source>{n} certificate warnings</source>
            <translation>{n} 个执法证提醒</translation>
        </message>
        <message>
            <source>On duty &lt;b&gt;{on}&lt;/b&gt; (available {free}) · open dispatches &lt;b&gt;{d}&lt;/b&gt; · open enforcement incidents &lt;b&gt;{i}&lt;/b&gt; · per member &lt;b&gt;{load}&lt;/b&gt;</source>
            <translation>在岗 &lt;b&gt;{on}&lt;/b&gt; 人（空闲 {free}）· 在办派单 &lt;b&gt;{d}&lt;/b&gt; · 待办执法事件 &lt;b&gt;{i}&lt;/b&gt; · 人均 &lt;b&gt;{load}&lt;/b&gt;</translation>
        </message>
        <message>
            <source>Nobody rostered now</source>
            <translation>当前无人排班</translation>
        </message>
        <message>
            <source>lent in from {zone}</source>
            <translation>借调自{zone}</translation>
        </message>
        <message>
            <source>auxiliary</source>
            <translation>辅助人员</translation>
        </message>
        <message>
            <source>{n} open dispatches</source>
            <translation>在办派单 {n} 件</translation>
        </message>
        <message>
            <source>shift ends {time}</source>
            <translation>班次至 {time}</translation>
        </message>
        <message>
            <source>+{n} more</source>
            <translation>另有 {n} 人</translation>
        </message>
        <message>
            <source>Busy: {load} open incidents per member on duty. {donor} has {free} available members: lend {name} until {until}?</source>
            <translation>忙：在岗队员人均待办 {load} 件。{donor}空闲 {free} 人：借调 {name} 至 {until}？</translation>
        </message>
        <message>
            <source>Lend {name}</source>
            <translation>借调 {name}</translation>
        </message>
        <message>
            <source>Lent in: {name} from {zone}, until {until}</source>
            <translation>借入：{name}（来自{zone}），至 {until}</translation>
        </message>
        <message>
            <source>Lent out: {name} to {zone}, until {until}</source>
            <translation>借出：{name}（借往{zone}），至 {until}</translation>
        </message>
        <message>
            <source>End</source>
            <translation>结束</translation>
        </message>
        <message>
            <source>End this loan now</source>
            <translation>立即结束此次借调</translation>
        </message>
    </context>
    <context>
        <name>ZoneDispatchView</name>
        <message>
            <source>Tick suggested joint visit</source>
            <translation>勾选建议的综合查一次</translation>
        </message>
        <message>
            <source>Nearby open enforcement incidents of the same day (within 2 km)</source>
            <translation>同一天、相距 2 公里以内的待办执法事件</translation>
        </message>
        <message>
            <source>Joint visit…</source>
            <translation>综合查一次…</translation>
        </message>
        <message>
            <source>Dispatch to team…</source>
            <translation>派给本片区执法队…</translation>
        </message>
        <message>
            <source>Open enforcement incidents ({n})</source>
            <translation>待办执法事件（{n}）</translation>
        </message>
        <message>
            <source>Team dispatches ({n})</source>
            <translation>队伍派单（{n}）</translation>
        </message>
        <message>
            <source>Tick suggested joint visit ({n})</source>
            <translation>勾选建议的综合查一次（{n} 组）</translation>
        </message>
        <message>
            <source>Joint visit ({n})…</source>
            <translation>综合查一次（{n} 件）…</translation>
        </message>
    </context>
    <context>
        <name>Zones</name>
        <message>
            <source>Available</source>
            <translation>空闲</translation>
        </message>
        <message>
            <source>En route</source>
            <translation>在途</translation>
        </message>
        <message>
            <source>On scene</source>
            <translation>在现场</translation>
        </message>
        <message>
            <source>Resting</source>
            <translation>休息</translation>
        </message>
        <message>
            <source>County enforcement bureau</source>
            <translation>县综合行政执法局</translation>
        </message>
        <message>
            <source>Market supervision</source>
            <translation>县市场监督管理局</translation>
        </message>
        <message>
            <source>Certified township cadre</source>
            <translation>乡镇持证干部</translation>
        </message>
        <message>
            <source>Other department</source>
            <translation>其他部门</translation>
        </message>
        <message>
            <source>Day</source>
            <translation>白班</translation>
        </message>
        <message>
            <source>Night</source>
            <translation>夜班</translation>
        </message>
        <message>
            <source>Full day</source>
            <translation>全天</translation>
        </message>
        <message>
            <source>Custom</source>
            <translation>自定</translation>
        </message>
        <message>
            <source>Busy</source>
            <translation>忙</translation>
        </message>
        <message>
            <source>Balanced</source>
            <translation>正常</translation>
        </message>
        <message>
            <source>Idle</source>
            <translation>闲</translation>
        </message>
        <message>
            <source>Nobody on duty</source>
            <translation>无人在岗</translation>
        </message>
        <message>
            <source>No certificate</source>
            <translation>无执法证</translation>
        </message>
        <message>
            <source>Expired</source>
            <translation>已过期</translation>
        </message>
        <message>
            <source>Expires soon</source>
            <translation>即将到期</translation>
        </message>
        <message>
            <source>Valid</source>
            <translation>有效</translation>
        </message>
        <message>
            <source>{n} min</source>
            <translation>{n} 分钟</translation>
        </message>
        <message>
            <source>{n} h</source>
            <translation>{n} 小时</translation>
        </message>
        <message>
            <source>unknown distance</source>
            <translation>距离未知</translation>
        </message>
        <message>
            <source>{n} m</source>
            <translation>{n} 米</translation>
        </message>
        <message>
            <source>{n} km</source>
            <translation>{n} 公里</translation>
        </message>
        <message>
            <source>Joint</source>
            <translation>联合</translation>
        </message>
        <message>
            <source>Number</source>
            <translation>编号</translation>
        </message>
        <message>
            <source>Title</source>
            <translation>标题</translation>
        </message>
        <message>
            <source>Township</source>
            <translation>乡镇</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Reported</source>
            <translation>上报时间</translation>
        </message>
        <message>
            <source>Team on it</source>
            <translation>处置队员</translation>
        </message>
        <message>
            <source>Incident</source>
            <translation>事件</translation>
        </message>
        <message>
            <source>Members</source>
            <translation>队员</translation>
        </message>
        <message>
            <source>Assigned</source>
            <translation>派单</translation>
        </message>
        <message>
            <source>Acknowledged</source>
            <translation>已签收</translation>
        </message>
        <message>
            <source>Set out</source>
            <translation>出发</translation>
        </message>
        <message>
            <source>Acknowledge</source>
            <translation>签收</translation>
        </message>
        <message>
            <source>[joint]</source>
            <translation>[综合查]</translation>
        </message>
        <message>
            <source>Under way</source>
            <translation>在途</translation>
        </message>
        <message>
            <source>On site</source>
            <translation>到场</translation>
        </message>
        <message>
            <source>Done</source>
            <translation>完成</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>撤销</translation>
        </message>
        <message>
            <source>Send</source>
            <translation>派出</translation>
        </message>
        <message>
            <source>Lead</source>
            <translation>主办</translation>
        </message>
        <message>
            <source>Member</source>
            <translation>队员</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Distance</source>
            <translation>距离</translation>
        </message>
        <message>
            <source>Open dispatches</source>
            <translation>在办派单</translation>
        </message>
        <message>
            <source>Certificate</source>
            <translation>执法证</translation>
        </message>
        <message>
            <source>Why here</source>
            <translation>推荐理由</translation>
        </message>
        <message>
            <source>{name} is auxiliary staff: auxiliaries cannot lead an enforcement action</source>
            <translation>{name} 是辅助人员：辅助人员不能担任主办执法人员</translation>
        </message>
        <message>
            <source>{name} holds no enforcement certificate and cannot lead</source>
            <translation>{name} 没有执法证，不能担任主办执法人员</translation>
        </message>
        <message>
            <source>{name}'s enforcement certificate expired on {date} and they cannot lead</source>
            <translation>{name} 的执法证已于 {date} 到期，不能担任主办执法人员</translation>
        </message>
        <message>
            <source>{n} open dispatches</source>
            <translation>在办 {n} 件</translation>
        </message>
        <message>
            <source>lent in from {zone}</source>
            <translation>借调自{zone}</translation>
        </message>
        <message>
            <source>certificate expires {date}</source>
            <translation>执法证 {date} 到期</translation>
        </message>
        <message>
            <source>Suggested lead: {why}</source>
            <translation>推荐主办：{why}</translation>
        </message>
        <message>
            <source>cannot lead</source>
            <translation>不能主办</translation>
        </message>
        <message>
            <source> (aux.)</source>
            <translation>（辅）</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>姓名</translation>
        </message>
        <message>
            <source>Origin</source>
            <translation>来源</translation>
        </message>
        <message>
            <source>Auxiliary</source>
            <translation>辅助人员</translation>
        </message>
        <message>
            <source>Certificate no.</source>
            <translation>执法证号</translation>
        </message>
        <message>
            <source>Certificate expiry</source>
            <translation>执法证有效期</translation>
        </message>
        <message>
            <source>Capabilities</source>
            <translation>能力标签</translation>
        </message>
        <message>
            <source>Phone</source>
            <translation>电话</translation>
        </message>
        <message>
            <source>Current dispatches</source>
            <translation>当前派单</translation>
        </message>
        <message>
            <source>Loan</source>
            <translation>借调</translation>
        </message>
        <message>
            <source>none</source>
            <translation>无</translation>
        </message>
        <message>
            <source>(expired)</source>
            <translation>（已过期）</translation>
        </message>
        <message>
            <source>({n} days left)</source>
            <translation>（剩 {n} 天）</translation>
        </message>
        <message>
            <source>lent to {zone} until {until}</source>
            <translation>借调至{zone}，至 {until}</translation>
        </message>
        <message>
            <source>since {time}</source>
            <translation>自 {time}</translation>
        </message>
        <message>
            <source>Full numbers are shown to team leaders</source>
            <translation>完整号码仅对执法队长显示</translation>
        </message>
        <message>
            <source>Mon</source>
            <translation>周一</translation>
        </message>
        <message>
            <source>Tue</source>
            <translation>周二</translation>
        </message>
        <message>
            <source>Wed</source>
            <translation>周三</translation>
        </message>
        <message>
            <source>Thu</source>
            <translation>周四</translation>
        </message>
        <message>
            <source>Fri</source>
            <translation>周五</translation>
        </message>
        <message>
            <source>Sat</source>
            <translation>周六</translation>
        </message>
        <message>
            <source>Sun</source>
            <translation>周日</translation>
        </message>
        <message>
            <source>today</source>
            <translation>今天</translation>
        </message>
        <message>
            <source>Lent in from {zone}</source>
            <translation>借调自{zone}</translation>
        </message>
        <message>
            <source>not lent</source>
            <translation>非借调期</translation>
        </message>
        <message>
            <source>{name}: in {zone_a} and {zone_b} at the same time ({a} and {b})</source>
            <translation>{name}：同时排在{zone_a}和{zone_b}（{a} 与 {b}）</translation>
        </message>
        <message>
            <source>{name}: overlapping shifts ({a} and {b})</source>
            <translation>{name}：班次时间重叠（{a} 与 {b}）</translation>
        </message>
        <message>
            <source>Zone</source>
            <translation>片区</translation>
        </message>
        <message>
            <source>Dispatches</source>
            <translation>派单数</translation>
        </message>
        <message>
            <source>Acknowledge median</source>
            <translation>签收中位数</translation>
        </message>
        <message>
            <source>Acknowledge p90</source>
            <translation>签收P90</translation>
        </message>
        <message>
            <source>On scene median</source>
            <translation>到场中位数</translation>
        </message>
        <message>
            <source>On scene p90</source>
            <translation>到场P90</translation>
        </message>
        <message>
            <source>Done median</source>
            <translation>完成中位数</translation>
        </message>
        <message>
            <source>Done p90</source>
            <translation>完成P90</translation>
        </message>
        <message>
            <source>Last 7 days</source>
            <translation>近7天</translation>
        </message>
        <message>
            <source>Last 30 days</source>
            <translation>近30天</translation>
        </message>
        <message>
            <source>Last 90 days</source>
            <translation>近90天</translation>
        </message>
        <message>
            <source>All time</source>
            <translation>全部</translation>
        </message>
    </context>
    <context>
        <name>ZonesPage</name>
        <message>
            <source>Enforcement zones</source>
            <translation>执法片区</translation>
        </message>
        <message>
            <source>Zone</source>
            <translation>片区</translation>
        </message>
        <message>
            <source>Zone board</source>
            <translation>片区看板</translation>
        </message>
        <message>
            <source>Team members</source>
            <translation>队伍与队员</translation>
        </message>
        <message>
            <source>Duty roster</source>
            <translation>排班</translation>
        </message>
        <message>
            <source>Dispatches</source>
            <translation>派单</translation>
        </message>
        <message>
            <source>Response times</source>
            <translation>响应时效</translation>
        </message>
    </context>
</TS>
