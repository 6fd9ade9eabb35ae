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
            <source>Cancel</source>
            <translation>取消</translation>
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
        <name>BannerWidget</name>
        <message>
            <source>Close</source>
            <translation>关闭</translation>
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
            <source>Folder for the briefing</source>
            <translation>选择日报保存位置</translation>
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
        <name>CloseDialog</name>
        <message>
            <source>Close incident</source>
            <translation>办结事件</translation>
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
    </context>
    <context>
        <name>ConflictModel</name>
        <message>
            <source>When</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Object</source>
            <translation>对象</translation>
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
        <message>
            <source>The action was not performed</source>
            <translation>操作未执行</translation>
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
            <source>(none)</source>
            <translation>（无）</translation>
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
            <source>Not signed: {message}</source>
            <translation>未签字：{message}</translation>
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
            <source>The action was not performed</source>
            <translation>操作未执行</translation>
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
            <source>the clocks call for: {level}</source>
            <translation>按时限应启动：{level}</translation>
        </message>
        <message>
            <source>Not done: {message}</source>
            <translation>未执行：{message}</translation>
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
            <source>is required</source>
            <translation>为必填项</translation>
        </message>
        <message>
            <source>must not be empty</source>
            <translation>不能为空</translation>
        </message>
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
            <source>Not possible while the incident is “{state}”: {action}.</source>
            <translation>事件当前为“{state}”，不能执行“{action}”。</translation>
        </message>
        <message>
            <source>{field}: {problem}</source>
            <translation>{field}：{problem}</translation>
        </message>
        <message>
            <source>This incident is not on this workstation (any more).</source>
            <translation>本工作站上已没有该事件。</translation>
        </message>
        <message>
            <source>Not allowed for your account: {reason}</source>
            <translation>您的账号无权执行：{reason}</translation>
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
            <source>{n} incidents · {ms} ms</source>
            <translation>共 {n} 件 · {ms} 毫秒</translation>
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
            <source>Team member</source>
            <translation>执法队员</translation>
        </message>
        <message>
            <source>Handover</source>
            <translation>交接班</translation>
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
            <source>Not open yet</source>
            <translation>尚未开放</translation>
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
            <source>The incident list is not installed on this workstation yet.</source>
            <translation>本机尚未安装事件列表模块。</translation>
        </message>
        <message>
            <source>Whole county</source>
            <translation>全县</translation>
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
            <source>Cancel</source>
            <translation>取消</translation>
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
            <source>Images (*.jpg *.jpeg *.png *.webp)</source>
            <translation>图片 (*.jpg *.jpeg *.png *.webp)</translation>
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
            <source>Cancel</source>
            <translation>取消</translation>
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
            <source>Reason</source>
            <translation>理由</translation>
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
        <name>StatusBarWidget</name>
        <message>
            <source>Open the conflicts panel</source>
            <translation>打开冲突与退回</translation>
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
    </context>
    <context>
        <name>TimelineModel</name>
        <message>
            <source>System</source>
            <translation>系统</translation>
        </message>
        <message>
            <source>Counter-proposal: {text}</source>
            <translation>建议：{text}</translation>
        </message>
        <message>
            <source>{n} photo(s)</source>
            <translation>{n} 张照片</translation>
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
    </context>
</TS>
