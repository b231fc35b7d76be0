//! Every label of the reports, in one place: Chinese (the default) and English.
//!
//! A label is looked up by its Chinese text, so call sites read as the report does;
//! sentence templates carry named placeholders (`{period}`) filled by [`fill`]. A Chinese
//! text without an English entry is returned unchanged — the test
//! `english_reports_have_no_chinese_left` renders a whole English report set to catch one.

use super::language::Language;
use crate::model::period::Period;

/// (Chinese, English).
const TABLE: &[(&str, &str)] = &[
    // the web console
    ("监测控制台", "Monitoring console"),
    ("期别", "Periods"),
    ("退出", "Sign out"),
    ("登录", "Sign in"),
    ("用户名", "Name"),
    ("密码", "Password"),
    ("完整率（%）", "Complete (%)"),
    ("缺报数据", "Missing series"),
    ("报送计划", "Schedule"),
    ("等", "and more:"),
    ("报告", "Reports"),
    ("尚无数据。", "No data yet."),
    ("本期没有可查看的报告。", "No report of this period for you."),
    ("您的账号无权查看{what}的报告。", "Your account may not open the report of {what}."),
    ("读者", "reader"),
    ("分析员", "analyst"),
    ("管理员", "admin"),
    ("无权访问", "Forbidden"),
    ("已报送（{at}）", "Sent ({at})"),
    ("已到期，等待数据（截止{deadline}）", "Due, waiting for data (deadline {deadline})"),
    ("没有这一期。", "No such period."),
    ("总体", "Overall"),
    ("表单已失效，请重新登录。", "The form has expired: sign in again."),
    ("登录失败次数过多，请{n}秒后再试。", "Too many failed sign-ins: try again in {n} s."),
    ("用户名或密码错误。", "Wrong name or password."),
    (
        "表单缺少有效的校验码（CSRF），已拒绝。",
        "The form lacks a valid CSRF token: refused.",
    ),
    ("这一页面仅供分析员使用。", "This page is for analysts."),
    ("上传数据", "Upload"),
    (
        "把文件拖到这里，或选择文件（CSV、XLSX、Parquet）：整份文件或全部入库，或全部拒收。",
        "Drop a file here or choose one (CSV, XLSX, Parquet): a file is loaded whole or rejected whole.",
    ),
    ("选择文件", "Choose a file"),
    ("正在入库……", "Loading…"),
    (
        "{name} 已入库：{rows} 行，其中 {new} 个数值为新的数据版本（与库中已有版本不同）。",
        "{name} loaded: {rows} rows, {new} of them new vintages (values that differ from the stored ones).",
    ),
    (
        "{name} 与已入库的文件完全相同，未作改动。",
        "{name} is the same as a file loaded before: nothing changed.",
    ),
    (
        "{name} 被拒收：{n} 处问题，未入库任何数据。",
        "{name} rejected: {n} problem(s); nothing was stored.",
    ),
    ("行", "Row"),
    ("列", "Column"),
    ("值", "Value"),
    ("问题", "Problem"),
    ("重新计算 {period}", "Recompute {period}"),
    ("排队中", "queued"),
    ("计算中", "running"),
    ("已完成", "succeeded"),
    ("失败", "failed"),
    ("与上次计算相比有 {n} 个数值不同。", "{n} values differ from the previous run."),
    ("输出文件", "Outputs"),
    ("运行日志", "Log"),
    ("数据版本_表头", "Data vintage"),
    ("规则", "Rule"),
    ("起始期", "Since"),
    ("未达重要性门槛", "below the materiality floor"),
    ("已确认至", "acknowledged until"),
    ("含未达重要性门槛的风险", "include risks below the materiality floor"),
    ("共 {n} 组风险。", "{n} risks."),
    ("期间", "Period"),
    ("库中原值", "Stored value"),
    ("新值", "New value"),
    ("原增速(%)", "Stored growth (%)"),
    ("新增速(%)", "New growth (%)"),
    ("本文件记录数", "Records in this file"),
    ("此前批次", "Earlier batches"),
    ("此前记录数", "Earlier records"),
    ("查看报告", "Open the reports"),
    ("{period} 风险", "Risks, {period}"),
    ("筛选", "Filter"),
    ("地区代码", "Region code"),
    ("确认理由", "Reason"),
    ("有效期至", "Until"),
    ("确认", "Acknowledge"),
    ("没有符合条件的风险。", "No risk matches."),
    ("审计记录", "Audit"),
    ("时间", "Time"),
    ("账号", "Account"),
    ("操作", "Action"),
    ("内容", "Detail"),
    ("重新计算", "Recompute"),
    ("并发送", "and send"),
    ("审计记录仅供管理员查看。", "The audit is for admins."),
    ("发件箱", "Outbox"),
    ("收件人", "Recipient"),
    ("尝试次数", "Attempts"),
    ("原因", "Reason"),
    ("重新发送", "Retry"),
    ("发件箱是空的。", "The outbox is empty."),
    ("账号管理仅供管理员使用。", "Accounts are for admins."),
    ("账号管理", "Accounts"),
    ("角色", "Role"),
    ("可查看的报告", "Reports granted"),
    ("语言", "Language"),
    ("新增账号", "Add an account"),
    ("设置密码", "Set password"),
    ("停用", "Disable"),
    ("已停用", "disabled"),
    (
        "读者可查看的报告，以空格分隔：province、industry:代码、city:代码、chain:代码",
        "A reader's reports, space-separated: province, industry:CODE, city:CODE, chain:CODE",
    ),
    ("{period} 历次计算", "Runs of {period}"),
    ("计算", "Run"),
    ("触发方式", "Trigger"),
    ("开始时间", "Started"),
    ("与前一次相比", "Against the run before"),
    ("当前", "current"),
    ("个数值不同", "values differ"),
    (
        "{after} 与 {before} 相比：{n} 个数值不同",
        "{after} against {before}: {n} values differ",
    ),
    ("此前", "Before"),
    ("此次", "After"),
    ("下载", "Downloads"),
    ("指标数据（indicators.csv）", "Indicators (indicators.csv)"),
    ("历次计算", "Runs"),
    // industrial chains
    ("上游", "Upstream"),
    ("中游", "Midstream"),
    ("下游", "Downstream"),
    ("配套环节", "Supporting links"),
    ("重点产业链", "Key chains"),
    ("{number}、重点产业链", "{number}. Key industrial chains"),
    ("产业链", "Chain"),
    ("企业数（家）", "Enterprises"),
    ("环节覆盖率（%）", "Segments covered (%)"),
    ("缺失环节（个）", "Missing links"),
    ("最大企业占比（%）", "Largest enterprise's share (%)"),
    ("链主企业占比（%）", "Chain leaders' share (%)"),
    ("链主企业同比增长（%）", "Chain leaders' growth (%)"),
    ("其他企业同比增长（%）", "Other enterprises' growth (%)"),
    (
        "产业链按企业所属行业小类归集，产业链之间、产业链与产业之间存在交叉；环节覆盖率为企业数达到{k}家的环节占全部环节的比重，其余为缺失环节；最大企业占比为最大一家企业所占比重（对单一企业的依赖度）；链主企业与其他企业的增速均按可比口径计算。",
        "Chains are aggregated from enterprises by their industry class and overlap one another and the industries; segments covered are those with at least {k} enterprises, as a share of the chain's segments, the others being its missing links; the largest enterprise's share is the chain's dependence on one enterprise; the chain leaders' and the other enterprises' growth are on the comparable basis.",
    ),
    ("{period}，{region}{chain}{indicator}", "{period}, {region}, {chain}: {indicator} "),
    ("；{n}个环节均有企业", "; all {n} segments have enterprises"),
    ("；{n}个环节中缺少{missing}", "; of {n} segments, missing: {missing}"),
    (
        "；链主企业{n}家，占全链{share}%，同比{change}",
        "; the {n} chain leaders hold {share}% of the chain, {change} on a year earlier",
    ),
    ("，其他企业{change}", ", the other enterprises {change}"),
    ("下降{pct}%", "down {pct}%"),
    ("增长{pct}%", "up {pct}%"),
    ("全链", "Whole chain"),
    ("分环节", "By segment"),
    ("{number}、分环节情况", "{number}. By segment"),
    ("环节", "Segment"),
    ("位置", "Stage"),
    ("占全链比重（%）", "Share of the chain (%)"),
    ("增长面（%）", "Enterprises growing (%)"),
    ("亏损面（%）", "Enterprises making a loss (%)"),
    ("链主企业", "Chain leaders"),
    ("{number}、链主企业", "{number}. Chain leaders"),
    ("其他企业", "Other enterprises"),
    ("企业", "Enterprises"),
    (
        "链主企业（统一社会信用代码）：{codes}。链主企业合计与其他企业合计的增速均按可比口径（与上年同期的同一批企业相比）计算；各企业的数据不单独公布。",
        "Chain leaders (unified social credit codes): {codes}. The growth of the leaders together and of the other enterprises together is on the comparable basis (the same enterprises a year earlier); no enterprise's own figures are published.",
    ),
    (
        "{period}{chain}各环节{indicator}及增速",
        "{period}: {chain}, {indicator} and growth by segment",
    ),
    ("亿元", " CNY 100m"),
    ("下降10%以上", "Down over 10%"),
    ("下降0–10%", "Down 0–10%"),
    ("增长0–10%", "Up 0–10%"),
    ("增长10–20%", "Up 10–20%"),
    ("增长20%以上", "Up over 20%"),
    ("缺失环节", "Missing link"),
    (
        "{period}{region}重点产业链{indicator}同比增长",
        "{period}: growth of {indicator} by key chain, {region}",
    ),
    ("{region}{chain}监测季报", "{region}: {chain}, quarterly monitoring report"),
    // assessment
    ("{period}{sub}考核评价得分", "{period}: assessment scores of the {sub}"),
    ("得分", "Score"),
    ("位次", "Rank"),
    ("考核评价", "Assessment"),
    ("{sub}考核评价", "Assessment of the {sub}"),
    (
        "得分满分100，各项为该项对得分的贡献（权重 {weights}）；缺报的项得0分，位次按得分由高到低，得分相同者位次相同。",
        "Scores are out of 100; each column is what a component adds to the score (weights: {weights}); a component not reported scores 0; ranks go by score, equal scores sharing a rank.",
    ),
    (
        "考核评价：得分{score}，第{rank}位（共{n}个）",
        "Assessment: score {score}, rank {rank} of {n}",
    ),
    ("考核项", "Component"),
    ("权重", "Weight"),
    ("本期值", "Value"),
    ("标准分", "Points"),
    ("对得分的贡献", "Adds to the score"),
    (
        "标准分为该项在各地区中的相对位置（0–100）；缺报的项得0分。",
        "Points place the value among the regions (0–100); a component not reported scores 0.",
    ),
    // scale tiers
    ("规模梯队", "Scale tiers"),
    ("产业规模梯队", "Industries by scale tier"),
    ("梯队", "Tier"),
    ("门槛（亿元）", "Threshold (CNY 100m)"),
    ("本期（个）", "Now"),
    ("上年同期（个）", "A year earlier"),
    ("年度目标（个）", "Target for the year"),
    (
        "按十大产业预计全年{indicator}计（四季度为全年实绩，其余按上年季节结构推算），达到门槛即计入。",
        "Counted on each member industry's projected annual {indicator} (Q4: the year's actual; otherwise last year's seasonal profile); reaching the threshold counts.",
    ),
    // count goals
    ("数量目标", "Count goals"),
    ("规划数量目标进度", "Progress on the plan's count goals"),
    ("指标", "Indicator"),
    ("本期数", "This period"),
    ("年度目标", "Target for the year"),
    (
        "年度目标按规划期几何增长路径计算；平台、企业等数量为期末累计数。",
        "Targets for the year follow the plan's geometric path; counts of platforms, enterprises and the like are stocks at the period's end.",
    ),
    // completeness
    ("缺报数据：{list}{more}。", "Missing data: {list}{more}."),
    ("等{n}项", " and others, {n} in all"),
    ("、_list", "; "),
    (
        "本报告按报送期限（{day}）发布，数据尚不完整：应报{expected}项，缺{missing}项，见数据说明。",
        "This report went out at its deadline ({day}) with incomplete data: {missing} of {expected} expected series are missing (see the data notes).",
    ),
    // sentences of the summary
    ("与{reference}持平", "in line with {reference}"),
    ("高于{reference}{pp}个百分点", "{pp} points above {reference}"),
    ("低于{reference}{pp}个百分点", "{pp} points below {reference}"),
    ("{period}，{region}{what}{indicator}", "{period}: {indicator} of {what}, {region}, "),
    ("{value}亿元", "CNY {value} 100m"),
    ("总量暂缺", "level not available"),
    ("，同比增长{pct}%", ", up {pct}% year on year"),
    ("，同比下降{pct}%", ", down {pct}% year on year"),
    ("，{comparison}", ", {comparison}"),
    ("；占规上工业比重{share}%", "; {share}% of all industry"),
    ("，比上年同期提高{pp}个百分点", ", {pp} points more than a year earlier"),
    ("，比上年同期下降{pp}个百分点", ", {pp} points less than a year earlier"),
    (
        "；拉动规上工业增长{pull}个百分点，贡献率{contribution}%",
        "; it pulled all-industry growth by {pull} points, a contribution of {contribution}%",
    ),
    ("。", "."),
    // headline and column labels
    ("{indicator}（亿元）", "{indicator} (CNY 100m)"),
    ("同比增长（%）", "Growth (%)"),
    ("与规上工业增速差（个百分点）", "Gap to all industry (pp)"),
    ("占规上工业比重（%）", "Share of all industry (%)"),
    ("比重变化（个百分点）", "Change in share (pp)"),
    ("拉动（个百分点）", "Pull (pp)"),
    ("贡献率（%）", "Contribution (%)"),
    ("对规上工业贡献率（%）", "Contribution to all industry (%)"),
    ("产业", "Industry"),
    ("地区", "Region"),
    ("与{region}增速差（个百分点）", "Gap to {region} (pp)"),
    ("增速位次", "Rank by growth"),
    ("年度目标（亿元）", "Annual target (CNY 100m)"),
    ("目标进度（%）", "Progress to target (%)"),
    ("时间进度（%）", "Time elapsed (%)"),
    ("进度差（个百分点）", "Progress gap (pp)"),
    ("预计全年完成（%）", "Projected attainment (%)"),
    ("规划年均增速（%）", "Plan CAGR (%)"),
    ("所需年均增速（%）", "Required CAGR (%)"),
    ("项目数（个）", "Projects"),
    ("投资完成率（%）", "Investment completion (%)"),
    ("与时间进度差（个百分点）", "Gap to time elapsed (pp)"),
    ("开工率（%）", "Start rate (%)"),
    ("竣工率（%）", "Completion rate (%)"),
    ("红灯（项）", "Red"),
    ("黄灯（项）", "Yellow"),
    ("比重（%）", "Share (%)"),
    ("目标进度（%）_axis", "Progress to target (%)"),
    // table titles, sheets and notes
    ("分产业", "Industries"),
    ("{number}、分产业情况", "{number}. Industries"),
    (
        "各产业之间存在交叉，{ten}合计不等于各产业之和。",
        "Industries overlap: {ten} is not the sum of the industries.",
    ),
    ("分城市", "Cities"),
    ("分区县", "Counties"),
    ("城市", "City"),
    ("区县", "County"),
    ("{number}、分{sub}情况（{industry}）", "{number}. {sub} ({industry})"),
    (
        "位次按同比增速由高到低排列，增速相同者位次相同。",
        "Ranked by growth, highest first; equal growth shares a rank.",
    ),
    ("{year}年没有{indicator}的规划目标。", "No plan target for {indicator} in {year}."),
    (
        "年度目标按规划期几何增长路径计算；预计全年完成按上年季节结构推算。",
        "Annual targets follow the plan's geometric path; projections use last year's seasonal profile.",
    ),
    ("目标进度", "Targets"),
    ("{number}、规划目标进度", "{number}. Progress against the plan"),
    ("本期没有重大项目数据。", "No major-project data this quarter."),
    (
        "投资完成率 = 本年累计完成投资 ÷ 年度计划投资；开工率、竣工率按计划于本年开工（竣工）的项目计算。",
        "Investment completion = investment completed this year ÷ annual plan; start and completion rates count the projects planned to start (complete) this year.",
    ),
    ("重大项目", "Projects"),
    ("{number}、重大项目进展", "{number}. Major projects"),
    ("本期风险", "This quarter"),
    ("新增", "New"),
    ("持续", "Persisting"),
    ("解除", "Resolved"),
    ("已确认（不计入）", "Acknowledged (not counted)"),
    ("{title}：{n}项", "{title}: {n}"),
    ("【{level}】{message}（自{since}）", "[{level}] {message} (since {since})"),
    ("{message}（{reason}，至{until}）", "{message} ({reason}, until {until})"),
    ("……另有{n}项，见 risks.csv", "… {n} more in risks.csv"),
    ("风险监测", "Risks"),
    ("{number}、风险监测", "{number}. Risks"),
    (
        "已确认的风险列出但不计入；全部风险见 risks.csv。",
        "Acknowledged risks are listed but not counted; every flag is in risks.csv.",
    ),
    (
        "数据为本年累计数；增速为同比增速，以统计部门按可比口径公布的增速为准，未公布增速的按总量计算。",
        "Figures are cumulative year to date; growth is year on year, as published on a comparable basis, else computed from levels.",
    ),
    (
        "比重变化、增速差、拉动以百分点计；拉动 = 本期增量 ÷ 规上工业上年同期可比基数。",
        "Changes in share, gaps and pull are in percentage points; pull = increment ÷ all industry's comparable base.",
    ),
    (
        "本期应报数据{expected}项，已报{present}项，完整率{pct}%。",
        "{present} of {expected} expected series reported ({pct}% complete).",
    ),
    ("另有{n}项数据质量提示，见 risks.csv。", "{n} more data-quality notes in risks.csv."),
    (
        "本报告所用数据为演示用合成数据，不代表真实统计数字。",
        "The data in this report are synthetic demo data, not real statistics.",
    ),
    ("二", "2"),
    ("三", "3"),
    ("四", "4"),
    ("五", "5"),
    ("六", "6"),
    ("七", "7"),
    // report titles
    ("{title}监测季报", "{title}: quarterly monitoring report"),
    (
        "{region}{industry}产业监测季报",
        "{industry}, {region}: quarterly monitoring report",
    ),
    ("{region}{ten}监测季报", "{ten}, {region}: quarterly monitoring report"),
    ("【{title}】{period}", "[{title}] {period}"),
    (
        "{region} · 战略性新兴产业统计监测",
        "{region} · Statistical monitoring of strategic emerging industries",
    ),
    // charts
    ("规上工业", "All industry"),
    ("规划年均增速", "Plan CAGR"),
    ("比重", "Share"),
    ("目标比重", "Target share"),
    ("时间进度", "Time elapsed"),
    ("合计", "Total"),
    ("{period}分产业{indicator}同比增长", "{indicator} growth by industry, {period}"),
    ("{what}{indicator}累计增速走势", "{indicator} growth of {what}, year to date"),
    ("{what}占规上工业比重走势", "Share of {what} in all industry"),
    ("{period}目标进度与时间进度", "Progress to target and time elapsed, {period}"),
    (
        "{period}分{sub}{what}{indicator}同比增长",
        "{indicator} growth of {what} by {sub}, {period}",
    ),
    (
        "{period}各产业对规上工业增长的贡献率",
        "Contribution of each industry to all-industry growth, {period}",
    ),
    ("{period}风险矩阵（产业 × {sub}）", "Risk matrix (industries × {sub}), {period}"),
    (
        "{period}分{sub}重大项目投资完成率",
        "Major-project investment completion by {sub}, {period}",
    ),
    (
        "{period}{region}分产业{indicator}同比增长",
        "{indicator} growth by industry in {region}, {period}",
    ),
    ("红灯", "red"),
    // chat robots' cards
    ("查看报告", "Open the report"),
    ("【更正】", "[Correction] "),
    ("：", ": "),
    ("……另有重点风险{n}项，见报告", "… {n} more key risks in the report"),
    ("黄灯", "yellow"),
    ("绿灯", "green"),
    ("无数据", "no data"),
    // page furniture
    ("一、总体情况", "1. Overview"),
    ("数据说明", "Notes"),
    ("生成于", "generated"),
    ("数据版本", "data vintage"),
    ("（图表见 HTML 版本）", "(charts in the HTML version)"),
    // risk messages
    (
        "{what}：{rule}（{measure} {value}，{running}{comparison}{threshold}），{level}{state}",
        "{what}: {rule} ({measure} {value}, {running}{comparison} {threshold}), {level}, {state}",
    ),
    (
        "{what}：{rule}风险解除（{measure} {value}）",
        "{what}: {rule} resolved ({measure} {value})",
    ),
    ("连续{n}个季度", "{n} quarters running, "),
    ("低于", "below"),
    ("不高于", "at or below"),
    ("高于", "above"),
    ("不低于", "at or above"),
    ("新增_state", "new"),
    ("持续_state", "persisting"),
    ("升级", "escalated"),
    ("缓解", "eased"),
    ("升级_column", "Escalated"),
    ("缓解_column", "Eased"),
    ("解除_state", "resolved"),
    ("{what}：本期数据缺失", "{what}: missing this quarter"),
    // risk groups
    ("风险", "Risk"),
    ("灯号", "Light"),
    ("状态", "State"),
    ("起始", "Since"),
    ("评分", "Score"),
    ("重点风险", "Key risks"),
    ("其他风险", "Other risks"),
    ("风险分组", "Risk groups"),
    ("风险分组（全部）", "Risk groups (all)"),
    ("分组", "Group"),
    ("计入规模", "Material"),
    ("已确认", "Acknowledged"),
    ("直接成因", "Direct cause"),
    ("根本成因", "Root cause"),
    ("是", "yes"),
    ("否", "no"),
    ("规模较小", "too small to count"),
    ("不予公布", "withheld"),
    (
        "{regions}的数据不予公布，未参加考核评价。",
        " {regions}: figures withheld, not assessed.",
    ),
    (
        "{mark}：为保护统计调查对象的资料，企业数过少或由个别企业主导的数据不予公布，可据以推算出这些数据的其他数据一并不予公布（《中华人民共和国统计法》第二十五条）；图中相应的柱不予绘制。",
        "{mark}: withheld to protect the respondents — figures of too few enterprises, or dominated by one or two, and the figures from which they could be worked out (Statistics Law of the PRC, art. 25); their bars are not drawn.",
    ),
    ("重大项目", "major projects"),
    ("企业数", "enterprises"),
    (
        "本期计入风险（按成因归并）：红灯{red}项，黄灯{yellow}项",
        "Risks this quarter (one per cause): {red} red, {yellow} yellow",
    ),
    ("　└ 同因：{brief}", "  └ same cause: {brief}"),
    ("　└ 另有同因{n}项：{regions}", "  └ {n} more of the same cause: {regions}"),
    ("{brief}（另有同因{n}项）", "{brief} (and {n} of the same cause)"),
    ("{what}{rule}（{measure}：{values}）", "{what}: {rule} ({measure}: {values})"),
    (
        "同一成因的风险归并为一项：同一规则在同一地区、产业的多个指标，及由其引起的其他风险（列在其下）。评分（0–100）= 灯号（红50、黄25）+ 超出阈值程度（至15）+ 规模（至15）+ 持续时间（至10）+ 同因风险数（至10）。规模较小未计入的{immaterial}项、已确认的风险及全部明细见 risks.csv。",
        "Risks of one cause are one: one rule over several indicators of a region and industry, and the risks that follow from it (listed under it). Score (0–100) = light (red 50, yellow 25) + distance past the threshold (up to 15) + size (up to 15) + persistence (up to 10) + risks of the same cause (up to 10). The {immaterial} too small to count, the acknowledged ones and every detail are in risks.csv.",
    ),
    (
        "每个分组的各指标明细见 risks.csv 的 group_id 列。",
        "Each group's indicators are in risks.csv, by its group_id.",
    ),
    ("本季新增", "new this quarter"),
    ("与上季相同（{level}）", "unchanged ({level} last quarter)"),
    ("较上季升级（上季{level}）", "escalated ({level} last quarter)"),
    ("较上季缓解（上季{level}）", "eased ({level} last quarter)"),
    ("本季解除", "resolved this quarter"),
    (
        "{what}{rule}风险解除（{measure}：{values}）",
        "{what}: {rule} resolved ({measure}: {values})",
    ),
    (
        "{what}{rule}：{measure} {values}（{bound}），{level}，自{since}起；{change}",
        "{what}: {rule}, {measure} {values} ({bound}), {level} since {since}; {change}",
    ),
    (
        "{what}：公布增速{published}%与按总量计算的{computed}%相差{gap}个百分点",
        "{what}: published growth {published}% is {gap} points from {computed}% computed from levels",
    ),
    (
        "{what}：本期数据修订{pct}%（{before} → {after}）",
        "{what}: revised by {pct}% ({before} → {after})",
    ),
    (
        "{what}：增速{growth}%异常（稳健Z值{z}，中位数{median}%）",
        "{what}: growth of {growth}% is an outlier (robust z {z}, median {median}%)",
    ),
];

/// The label in `lang`: the Chinese text itself, or its English.
pub fn tr(lang: Language, zh: &'static str) -> &'static str {
    match lang {
        Language::Zh => zh.split_once('_').map_or(zh, |(text, _)| text),
        Language::En => TABLE.iter().find(|(z, _)| *z == zh).map_or(zh, |(_, en)| *en),
    }
}

/// A sentence template in `lang` with its `{name}` placeholders filled.
pub fn fill(lang: Language, zh: &'static str, args: &[(&str, &str)]) -> String {
    let mut s = tr(lang, zh).to_string();
    for (name, value) in args {
        s = s.replace(&format!("{{{name}}}"), value);
    }
    s
}

/// The cumulative period: `2025年1-9月` / `Jan–Sep 2025`.
pub fn period(lang: Language, p: Period) -> String {
    match lang {
        Language::Zh => p.label_zh(),
        Language::En => {
            const MONTHS: [&str; 4] = ["Mar", "Jun", "Sep", "Dec"];
            format!("Jan–{} {}", MONTHS[usize::from(p.quarter()) - 1], p.year())
        }
    }
}

/// One quarter: `2025年三季度` / `2025 Q3`.
pub fn quarter(lang: Language, p: Period) -> String {
    match lang {
        Language::Zh => format!("{}年{}季度", p.year(), ["一", "二", "三", "四"][usize::from(p.quarter()) - 1]),
        Language::En => format!("{} Q{}", p.year(), p.quarter()),
    }
}

/// The name of a measure, with its unit.
pub fn measure(lang: Language, m: &str) -> &str {
    if lang == Language::En {
        return match m {
            "ytd" => "year to date",
            "yoy_pct" => "growth (%)",
            "quarter_yoy_pct" => "single-quarter growth (%)",
            "share_pct" => "share (%)",
            "share_change_pp" => "change in share (pp)",
            "gap_to_total_pp" => "gap to all industry (pp)",
            "progress_gap_pp" => "progress gap (pp)",
            "growth_gap_pp" => "gap to growth target (pp)",
            "share_gap_pp" => "gap to share target (pp)",
            "investment_progress_gap_pp" => "investment progress gap (pp)",
            "loss_ratio_pct" => "share of loss-makers (%)",
            "cr4_pct" => "four-firm concentration (%)",
            "top1_share_pct" => "largest enterprise's share (%)",
            "top2_share_pct" => "two largest enterprises' share (%)",
            "segment_share_pct" => "share of the chain (%)",
            "segment_share_change_pp" => "change of the share of the chain (pp)",
            "coverage_pct" => "segments present (%)",
            "missing_segments" => "missing segments",
            "leaders_share_pct" => "chain leaders' share (%)",
            "leaders_yoy_pct" => "chain leaders' growth (%)",
            "others_yoy_pct" => "other enterprises' growth (%)",
            other => other,
        };
    }
    measure_zh(m)
}

/// The Chinese name of a measure, with its unit.
pub fn measure_zh(measure: &str) -> &str {
    match measure {
        "ytd" => "本年累计",
        "yoy_pct" => "同比增长(%)",
        "base_ytd" => "上年同期可比基数",
        "quarter" => "单季值",
        "quarter_yoy_pct" => "单季同比增长(%)",
        "share_pct" => "占规上工业比重(%)",
        "share_change_pp" => "比重变化(个百分点)",
        "gap_to_total_pp" => "与规上工业增速差(个百分点)",
        "pull_pp" => "拉动(个百分点)",
        "contribution_pct" => "贡献率(%)",
        "gap_to_parent_pp" => "与上级地区增速差(个百分点)",
        "rank" => "增速位次",
        "annual_target" => "年度目标",
        "task_progress_pct" => "目标进度(%)",
        "time_progress_pct" => "时间进度(%)",
        "progress_gap_pp" => "进度差(个百分点)",
        "projected_annual" => "预计全年",
        "projected_attainment_pct" => "预计全年完成(%)",
        "plan_cagr_pct" => "规划年均增速(%)",
        "required_cagr_pct" => "所需年均增速(%)",
        "target_growth_pct" => "目标增速(%)",
        "growth_gap_pp" => "与目标增速差(个百分点)",
        "target_share_pct" => "目标比重(%)",
        "share_gap_pp" => "与目标比重差(个百分点)",
        "projects" => "项目数",
        "investment_completion_pct" => "投资完成率(%)",
        "investment_progress_gap_pp" => "投资进度差(个百分点)",
        "start_rate_pct" => "开工率(%)",
        "completion_rate_pct" => "竣工率(%)",
        "growth_breadth_pct" => "增长面(%)",
        "loss_ratio_pct" => "亏损面(%)",
        "cr4_pct" => "前四位集中度(%)",
        "hhi" => "赫芬达尔指数",
        "top1_share_pct" => "最大企业占比(%)",
        "top2_share_pct" => "前两位企业占比(%)",
        "segment_share_pct" => "占产业链比重(%)",
        "segment_share_change_pp" => "占产业链比重变化(个百分点)",
        "coverage_pct" => "环节覆盖率(%)",
        "missing_segments" => "缺失环节数(个)",
        "leaders_share_pct" => "链主企业占比(%)",
        "leaders_yoy_pct" => "链主企业增长(%)",
        "others_yoy_pct" => "其他企业增长(%)",
        other => other,
    }
}

/// A catalogue name in `lang`: an industry's (short) name, a region's, an indicator's.
pub struct Names<'a> {
    pub lang: Language,
    pub catalogue: &'a crate::model::catalogue::Catalogue,
}

impl Names<'_> {
    pub fn industry(&self, code: &str) -> String {
        match (self.lang, self.catalogue.industry(code)) {
            (Language::Zh, Some(i)) => i.zh.clone(),
            (Language::En, Some(i)) => i.en.clone(),
            (_, None) => self.chain_row(code),
        }
    }
    pub fn industry_short(&self, code: &str) -> String {
        match (self.lang, self.catalogue.industry(code)) {
            (Language::Zh, Some(i)) => i.short_zh().to_string(),
            (Language::En, Some(i)) => i.en.clone(),
            (_, None) => self.chain_row(code),
        }
    }
    /// A chain row's name (a chain, a segment, its leaders), or the code.
    fn chain_row(&self, code: &str) -> String {
        match (self.lang, self.catalogue.chain_row_names(code)) {
            (Language::Zh, Some((zh, _))) => zh,
            (Language::En, Some((_, en))) => en,
            (_, None) => code.to_string(),
        }
    }
    pub fn region(&self, code: &str) -> String {
        match (self.lang, self.catalogue.region(code)) {
            (Language::En, Some(r)) => r.en.clone().unwrap_or_else(|| r.zh.clone()),
            (_, Some(r)) => r.zh.clone(),
            (_, None) => code.to_string(),
        }
    }
    /// A region's name for chart axes (Chinese cities without 市).
    pub fn region_short(&self, code: &str) -> String {
        let name = self.region(code);
        if self.lang == Language::Zh {
            name.trim_end_matches('市').to_string()
        } else {
            name
        }
    }
    pub fn indicator(&self, code: &str) -> String {
        match (self.lang, self.catalogue.indicator(code)) {
            (Language::Zh, Some(k)) => k.zh.clone(),
            (Language::En, Some(k)) => k.en.clone(),
            // seimon's own indicators, which no catalogue lists
            (lang, None) => match code {
                crate::model::catalogue::PROJECTS_INDICATOR => tr(lang, "重大项目").to_string(),
                "enterprises" => tr(lang, "企业数").to_string(),
                _ => code.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measure_has_a_chinese_label() {
        for m in crate::compute::all_measures() {
            assert_ne!(measure_zh(m), m, "{m}");
        }
    }

    #[test]
    fn templates_fill_in_both_languages() {
        let args = [("period", "2025年1-9月"), ("indicator", "营业收入")];
        assert_eq!(
            fill(Language::Zh, "{period}分产业{indicator}同比增长", &args),
            "2025年1-9月分产业营业收入同比增长"
        );
        let args = [("period", "Jan–Sep 2025"), ("indicator", "operating income")];
        assert_eq!(
            fill(Language::En, "{period}分产业{indicator}同比增长", &args),
            "operating income growth by industry, Jan–Sep 2025"
        );
        assert_eq!(
            tr(Language::Zh, "新增_state"),
            "新增",
            "a suffix only tells two English labels apart"
        );
        assert_eq!(period(Language::En, Period::new(2025, 4).unwrap()), "Jan–Dec 2025");
    }
}
