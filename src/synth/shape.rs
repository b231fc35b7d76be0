//! The shapes of the demo's profiles: each scheme's cities (or counties) with their weight
//! in the whole and their growth, and the catalogue and indicators of its data set.

/// What a scheme's demo data looks like.
pub struct Shape {
    /// The profile's name (a key of [`crate::config::PROFILES`]).
    pub profile: &'static str,
    /// The catalogue the data are coded in.
    pub catalogue: &'static str,
    /// The monitored region.
    pub top: &'static str,
    /// The regions data are generated for, with their share of the top region; when the
    /// top region is not among them it is their sum.
    pub units: Vec<(&'static str, f64)>,
    /// Member industries: (code, the top region's annual level in 2019 in 亿元, trend growth).
    pub industries: &'static [(&'static str, f64, f64)],
    /// `TEN` as a share of `TOTAL` in 2019.
    pub ten_share: f64,
    /// A member industry in a slump from a year on (growth −30 points).
    pub slump: Option<(&'static str, i32)>,
    /// Added value published with levels (else as a growth rate only).
    pub added_value_levels: bool,
    /// Investment published (levels and growth).
    pub investment: bool,
    /// The enterprise records behind the figures, with their class mapping.
    pub records: Records,
    /// A chain whose leaders dominate it (an integrated carmaker in its vehicle chain).
    pub dominant_leaders: Option<&'static str>,
}

/// Which enterprise records a demo has.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Records {
    /// None: published aggregates only.
    None,
    /// About 1,500 enterprises scattered over the counties by the classes' weights, apart
    /// from the published city figures (the Anhui demo, whose reports stop at cities).
    Scattered,
    /// Every enterprise behind each unit's published figures — a member industry's in the
    /// classes of its chain (the catalogue's chain of the same code, less the classes an
    /// earlier chain took), the rest of industry in classes that feed none — as thin as
    /// real rosters are: one enterprise per 6 亿元 of a year's income, at least one; and
    /// each chain's leaders, three large enterprises registered in the top region.
    Roster,
}

impl Shape {
    pub(super) fn aggregates_top(&self) -> bool {
        self.units.iter().all(|(u, _)| *u != self.top)
    }

    pub(super) fn indicators(&self) -> Vec<&'static str> {
        let mut k = vec!["operating_income", "output_value", "profit", "enterprises"];
        if self.investment {
            k.push("investment");
        }
        k
    }
}

/// Anhui's ten: annual operating income of the province in 2019 (亿元) and trend growth.
pub(super) const ANHUI: &[(&str, f64, f64)] = &[
    ("NGIT", 3000.0, 0.16),
    ("NEV", 2200.0, 0.28),
    ("DCI", 420.0, 0.12),
    ("HEM", 2800.0, 0.11),
    ("PVES", 1200.0, 0.20),
    ("GFD", 3200.0, 0.07),
    ("LH", 1500.0, 0.10),
    ("SHA", 2600.0, 0.06),
    ("NMAT", 3000.0, 0.12),
    ("AI", 600.0, 0.22),
];

/// Share of the province's industry in each city.
pub(super) const CITY_WEIGHTS: &[(&str, f64)] = &[
    ("340100", 0.30),
    ("340200", 0.14),
    ("340300", 0.05),
    ("340400", 0.03),
    ("340500", 0.06),
    ("340600", 0.03),
    ("340700", 0.04),
    ("340800", 0.05),
    ("341000", 0.015),
    ("341100", 0.07),
    ("341200", 0.05),
    ("341300", 0.03),
    ("341500", 0.035),
    ("341600", 0.025),
    ("341700", 0.02),
    ("341800", 0.045),
];

const JILIN: &[(&str, f64, f64)] = &[
    ("NGIT", 120.0, 0.10),
    ("HEM", 300.0, 0.08),
    ("NMAT", 250.0, 0.09),
    ("BIO", 350.0, 0.10),
    ("NEV", 400.0, 0.18),
    ("NE", 120.0, 0.20),
    ("EPEC", 150.0, 0.08),
    ("DCI", 30.0, 0.09),
    ("SRV", 40.0, 0.07),
];

const CHONGQING: &[(&str, f64, f64)] = &[
    ("ICEV", 4000.0, 0.10),
    ("EIM", 6500.0, 0.08),
    ("AMAT", 3000.0, 0.06),
    ("IEM", 1500.0, 0.07),
    ("FOOD", 2000.0, 0.06),
    ("SOFT", 500.0, 0.12),
    ("BIO", 800.0, 0.08),
    ("GLE", 700.0, 0.15),
];

const HEFEI: &[(&str, f64, f64)] = &[
    ("IC", 300.0, 0.25),
    ("FPD", 900.0, 0.12),
    ("NIS", 100.0, 0.15),
    ("AI", 200.0, 0.20),
    ("NEV", 900.0, 0.35),
    ("PVNE", 500.0, 0.25),
    ("HEMN", 800.0, 0.10),
    ("BIOM", 250.0, 0.12),
    ("EPEC", 200.0, 0.08),
    ("SHA", 1200.0, 0.05),
    ("CCI", 100.0, 0.08),
    ("QSI", 50.0, 0.25),
];

/// The shape of a profile's demo data.
pub fn shape(profile: &str) -> Option<Shape> {
    let base = |profile, catalogue, top, units, industries, ten_share| Shape {
        profile,
        catalogue,
        top,
        units,
        industries,
        ten_share,
        slump: None,
        added_value_levels: false,
        investment: false,
        records: Records::None,
        dominant_leaders: None,
    };
    Some(match profile {
        "anhui" => Shape {
            slump: Some(("PVES", 2024)),
            records: Records::Scattered,
            ..base("anhui", "anhui-2021", "340000", CITY_WEIGHTS.to_vec(), ANHUI, 0.45)
        },
        "jilin" => base(
            "jilin",
            "jilin-2018",
            "220000",
            vec![
                ("220100", 0.45),
                ("220200", 0.17),
                ("220300", 0.06),
                ("220400", 0.04),
                ("220500", 0.07),
                ("220600", 0.04),
                ("220700", 0.07),
                ("220800", 0.04),
                ("222400", 0.06),
            ],
            JILIN,
            0.115,
        ),
        "chongqing" => Shape {
            investment: true,
            ..base("chongqing", "chongqing-2023", "500000", vec![("500000", 1.0)], CHONGQING, 0.55)
        },
        "hefei" => Shape {
            added_value_levels: true,
            records: Records::Roster,
            dominant_leaders: Some("NEV"),
            ..base(
                "hefei",
                "hefei-2023",
                "340100",
                vec![
                    ("340102", 0.05),
                    ("340103", 0.04),
                    ("340104", 0.08),
                    ("340111", 0.09),
                    ("340121", 0.07),
                    ("340122", 0.09),
                    ("340123", 0.10),
                    ("340124", 0.05),
                    ("340176", 0.17),
                    ("340177", 0.16),
                    ("340178", 0.06),
                    ("340181", 0.04),
                ],
                HEFEI,
                0.42,
            )
        },
        _ => return None,
    })
}
