//! Who a report is for: the province's leaders, one industry's special class, one city, or
//! one industrial chain's chief (链长).

use std::fmt;

/// Who a report is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    Province,
    Industry(String),
    City(String),
    /// An industrial chain of the catalogue, by its code (not its row code).
    Chain(String),
}

impl fmt::Display for Audience {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Audience::Province => f.write_str("province"),
            Audience::Industry(c) => write!(f, "industry:{c}"),
            Audience::City(c) => write!(f, "city:{c}"),
            Audience::Chain(c) => write!(f, "chain:{c}"),
        }
    }
}

impl std::str::FromStr for Audience {
    type Err = String;
    /// `province`, `industry:CODE`, `city:CODE` or `chain:CODE` (codes unchecked: the
    /// catalogue checks them).
    fn from_str(s: &str) -> Result<Audience, String> {
        let bad = || format!("`{s}` is not an audience: province, industry:CODE, city:CODE or chain:CODE");
        match s.split_once(':') {
            None if s == "province" => Ok(Audience::Province),
            Some((_, "")) | None => Err(bad()),
            Some(("industry", c)) => Ok(Audience::Industry(c.to_string())),
            Some(("city", c)) => Ok(Audience::City(c.to_string())),
            Some(("chain", c)) => Ok(Audience::Chain(c.to_string())),
            Some(_) => Err(bad()),
        }
    }
}

impl Audience {
    /// Whether the catalogue has the audience's industry, region or chain.
    pub fn is_in(&self, c: &super::catalogue::Catalogue) -> bool {
        match self {
            Audience::Province => true,
            Audience::Industry(code) => c.industry(code).is_some(),
            Audience::City(code) => c.region(code).is_some(),
            Audience::Chain(code) => c.chains.iter().any(|ch| &ch.code == code),
        }
    }

    /// The archived report of the audience, relative to the period's folder.
    pub fn report_file(&self) -> String {
        match self {
            Audience::Province => "report.html".into(),
            Audience::Industry(c) => format!("industry/{c}.html"),
            Audience::City(c) => format!("city/{c}.html"),
            Audience::Chain(c) => format!("chain/{c}.html"),
        }
    }

    /// Its report typeset on A4, beside the HTML: `report.pdf`, `city/340100.pdf`.
    pub fn pdf_file(&self) -> String {
        let html = self.report_file();
        format!("{}.pdf", html.strip_suffix(".html").unwrap_or(&html))
    }

    /// Whose a file of a period's folder is: a report's (HTML or PDF), or a chart's by its name
    /// (`charts/city-340100-growth_trend.png`); none for the analyst's files
    /// (`indicators.csv`, the workbook, the e-mails, …).
    pub fn of_file(file: &str) -> Option<Audience> {
        if file == "report.html" || file == "report.pdf" {
            return Some(Audience::Province);
        }
        if let Some(chart) = file.strip_prefix("charts/").and_then(|f| f.strip_suffix(".png")) {
            if chart.contains('/') {
                return None;
            }
            for (kind, make) in [
                ("industry-", Audience::Industry as fn(String) -> Audience),
                ("city-", Audience::City),
                ("chain-", Audience::Chain),
            ] {
                if let Some(rest) = chart.strip_prefix(kind) {
                    return rest.split_once('-').map(|(code, _)| make(code.to_string()));
                }
            }
            return Some(Audience::Province);
        }
        let (folder, name) = file.split_once('/')?;
        let code = name
            .strip_suffix(".html")
            .or_else(|| name.strip_suffix(".pdf"))
            .filter(|c| !c.is_empty() && !c.contains('/'))?;
        match folder {
            "industry" => Some(Audience::Industry(code.into())),
            "city" => Some(Audience::City(code.into())),
            "chain" => Some(Audience::Chain(code.into())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_read_back_and_own_their_files() {
        for a in [
            Audience::Province,
            Audience::Industry("NGIT".into()),
            Audience::City("340100".into()),
            Audience::Chain("IC".into()),
        ] {
            assert_eq!(a.to_string().parse::<Audience>(), Ok(a.clone()));
            assert_eq!(Audience::of_file(&a.report_file()), Some(a.clone()));
            assert_eq!(Audience::of_file(&a.pdf_file()), Some(a));
        }
        assert_eq!(Audience::City("340100".into()).pdf_file(), "city/340100.pdf");
        assert!("city:".parse::<Audience>().is_err() && "town:1".parse::<Audience>().is_err());
        assert_eq!(Audience::of_file("charts/growth_trend.png"), Some(Audience::Province));
        assert_eq!(
            Audience::of_file("charts/city-340100-growth_trend.png"),
            Some(Audience::City("340100".into()))
        );
        for analysts in [
            "indicators.csv",
            "report.xlsx",
            "mail/a.eml",
            "city/../x.html",
            "city/.pdf",
            "charts/../seimon.db",
        ] {
            assert_eq!(Audience::of_file(analysts), None, "{analysts}");
        }
    }
}
