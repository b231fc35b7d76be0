//! Display labels of measures, in one place (Chinese now; English when reports get it).

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
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_measure_has_a_chinese_label() {
        for m in crate::compute::all_measures() {
            assert_ne!(super::measure_zh(m), m, "{m}");
        }
    }
}
