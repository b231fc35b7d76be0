//! Composing a report's chat-robot messages: the card a DingTalk or WeCom group robot posts,
//! or the JSON a generic webhook receives. No I/O, no clock: the signatures, which carry the
//! time of sending, are made by `deliver` when a message goes out.
//!
//! A card says what the report's first screen says — its title and period, the headline
//! figures, the counted risks by light and the key risks' sentences — with a link to the
//! report in the console. Every figure comes from the rendered report, so disclosure control
//! has already spoken: a withheld value bears the report's mark here too, and a risk whose
//! figures are withheld is not among the key risks. On WeCom the headline
//! chart follows the card as an image (base64 and MD5, within the platform's 2 MB).

use base64::Engine;
use md5::{Digest, Md5};
use serde_json::json;

use crate::model::labels;
use crate::model::period::Period;
use crate::render::RenderedReport;
use crate::risk::Level;

/// The platforms a robot posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RobotKind {
    /// A DingTalk group robot (custom robot, signed): an action card.
    Dingtalk,
    /// A WeCom (企业微信) group robot: markdown, then the headline chart.
    Wecom,
    /// Any HTTP endpoint: the report's figures as JSON, signed in a header.
    Webhook,
}

/// WeCom's limit on a markdown message's content, in bytes of UTF-8.
pub const WECOM_MARKDOWN_BYTES: usize = 4096;
/// WeCom's limit on an image before base64.
pub const WECOM_IMAGE_BYTES: usize = 2 * 1024 * 1024;
/// DingTalk's limit on a message body (its documentation: 20,000 bytes).
pub const DINGTALK_BYTES: usize = 20_000;

/// One post of a message: the card, or WeCom's chart that follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// `card` or `chart`: the part's name in the outbox key.
    pub part: &'static str,
    /// The JSON body, as posted (unsigned).
    pub body: Vec<u8>,
}

/// What a message is about, besides the report itself.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub period: Period,
    pub data_vintage: &'a str,
    /// The report in the console, when the console's address is configured.
    pub link: Option<&'a str>,
    /// A version of this quarter already reached the group: this one replaces it.
    pub correction: bool,
}

/// The posts of one report to one robot of `kind`, in the order they go.
pub fn posts(kind: RobotKind, report: &RenderedReport, about: &About<'_>) -> Vec<Post> {
    let json = |v: serde_json::Value| serde_json::to_vec(&v).expect("a JSON value serialises");
    match kind {
        RobotKind::Dingtalk => vec![Post {
            part: "card",
            body: json(dingtalk(report, about)),
        }],
        RobotKind::Wecom => {
            let mut posts = vec![Post {
                part: "card",
                body: json(json!({"msgtype": "markdown", "markdown": {"content": wecom_markdown(report, about)}})),
            }];
            if let Some(chart) = report.charts.first().filter(|c| c.png.len() <= WECOM_IMAGE_BYTES) {
                posts.push(Post {
                    part: "chart",
                    body: json(json!({"msgtype": "image", "image": {
                        "base64": base64::engine::general_purpose::STANDARD.encode(&chart.png),
                        "md5": hex::encode(Md5::digest(&chart.png)),
                    }})),
                });
            }
            posts
        }
        RobotKind::Webhook => vec![Post {
            part: "card",
            body: json(webhook(report, about)),
        }],
    }
}

fn title(report: &RenderedReport, about: &About<'_>) -> String {
    let prefix = if about.correction {
        labels::tr(report.lang, "【更正】")
    } else {
        ""
    };
    format!("{prefix}{}", report.subject)
}

fn risk_line(report: &RenderedReport) -> String {
    labels::fill(
        report.lang,
        "本期计入风险（按成因归并）：红灯{red}项，黄灯{yellow}项",
        &[("red", &report.risks.red.to_string()), ("yellow", &report.risks.yellow.to_string())],
    )
}

fn separator(report: &RenderedReport) -> &'static str {
    labels::tr(report.lang, "：")
}

/// Markdown lines of the card, shared by both platforms; `light` marks a key risk's light.
fn card_lines(report: &RenderedReport, about: &About<'_>, light: &dyn Fn(Level, &str) -> String, keys: usize) -> Vec<String> {
    let sep = separator(report);
    let correction = if about.correction {
        labels::tr(report.lang, "【更正】")
    } else {
        ""
    };
    // the headline figures say what the summary sentence says, shorter: a card is read on a phone
    let mut lines = vec![
        format!("### {correction}{}", report.title),
        format!("**{}**", labels::period(report.lang, about.period)),
        String::new(),
    ];
    lines.extend(report.headline.iter().map(|(label, value)| format!("- {label}{sep}**{value}**")));
    lines.push(String::new());
    lines.push(format!("**{}**", risk_line(report)));
    lines.extend(
        report
            .risks
            .keys
            .iter()
            .take(keys)
            .enumerate()
            .map(|(i, k)| format!("{}. {} {}", i + 1, light(k.level, &k.light), k.sentence)),
    );
    if report.risks.keys.len() > keys {
        lines.push(labels::fill(
            report.lang,
            "……另有重点风险{n}项，见报告",
            &[("n", &(report.risks.keys.len() - keys).to_string())],
        ));
    }
    lines
}

/// The most key risks that keep `render`'s output within `limit` bytes (at least none).
fn fitting(report: &RenderedReport, limit: usize, render: &dyn Fn(usize) -> String) -> String {
    (0..=report.risks.keys.len())
        .rev()
        .map(render)
        .find(|s| s.len() <= limit)
        .unwrap_or_else(|| truncate(&render(0), limit))
}

/// Cuts `s` to at most `limit` bytes on a character boundary.
fn truncate(s: &str, limit: usize) -> String {
    let mut end = limit.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn dingtalk(report: &RenderedReport, about: &About<'_>) -> serde_json::Value {
    let light = |level: Level, word: &str| match level {
        Level::Red => format!("<font color=#d9363e>●{word}</font>"),
        Level::Yellow => format!("<font color=#d48806>●{word}</font>"),
        Level::Green => format!("●{word}"),
    };
    // the body's other fields take a few hundred bytes
    let text = fitting(report, DINGTALK_BYTES - 1_000, &|keys| {
        card_lines(report, about, &light, keys).join("\n")
    });
    let title = title(report, about);
    match about.link {
        Some(url) => json!({"msgtype": "actionCard", "actionCard": {
            "title": title,
            "text": text,
            "btnOrientation": "0",
            "singleTitle": labels::tr(report.lang, "查看报告"),
            "singleURL": url,
        }}),
        None => json!({"msgtype": "markdown", "markdown": {"title": title, "text": text}}),
    }
}

fn wecom_markdown(report: &RenderedReport, about: &About<'_>) -> String {
    let light = |level: Level, word: &str| match level {
        Level::Red => format!("<font color=\"warning\">{word}</font>"),
        Level::Yellow => format!("<font color=\"comment\">{word}</font>"),
        Level::Green => format!("<font color=\"info\">{word}</font>"),
    };
    let link = about
        .link
        .map(|url| format!("\n[{}]({url})", labels::tr(report.lang, "查看报告")))
        .unwrap_or_default();
    let budget = WECOM_MARKDOWN_BYTES.saturating_sub(link.len());
    let text = fitting(report, budget, &|keys| card_lines(report, about, &light, keys).join("\n"));
    format!("{text}{link}")
}

fn webhook(report: &RenderedReport, about: &About<'_>) -> serde_json::Value {
    json!({
        "event": "report",
        "report": report.audience.to_string(),
        "title": title(report, about),
        "period": about.period.to_string(),
        "period_label": labels::period(report.lang, about.period),
        "data_vintage": about.data_vintage,
        "language": report.lang,
        "correction": about.correction,
        "summary": report.summary,
        "headline": report.headline.iter().map(|(label, value)| json!({"label": label, "value": value})).collect::<Vec<_>>(),
        "risks": {
            "red": report.risks.red,
            "yellow": report.risks.yellow,
            "key": report.risks.keys.iter().map(|k| json!({"level": k.level, "light": k.light, "sentence": k.sentence})).collect::<Vec<_>>(),
        },
        "url": about.link,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::audience::Audience;
    use crate::model::language::Language;
    use crate::render::chart::Chart;
    use crate::render::{KeyRisk, RiskBrief};

    fn report(keys: usize) -> RenderedReport {
        RenderedReport {
            audience: Audience::City("340100".into()),
            lang: Language::Zh,
            file: "city/340100.html".into(),
            title: "合肥市十大新兴产业监测季报".into(),
            subject: "【合肥市十大新兴产业监测季报】2025年1-9月".into(),
            charts: vec![Chart {
                name: "growth".into(),
                title: "增速".into(),
                width: 2,
                height: 1,
                png: b"\x89PNG\r\n\x1a\nnot really".to_vec(),
            }],
            summary: "2025年1-9月，合肥市……".into(),
            headline: vec![
                ("营业收入（亿元）".into(), "112.00".into()),
                ("企业数".into(), crate::render::SUPPRESSED_MARK.into()),
            ],
            risks: RiskBrief {
                red: keys,
                yellow: 0,
                keys: (0..keys)
                    .map(|i| KeyRisk {
                        level: Level::Red,
                        light: "红灯".into(),
                        sentence: format!("第{i}项：{}", "增速低于规上工业".repeat(20)),
                    })
                    .collect(),
            },
            html: String::new(),
            html_mail: String::new(),
            text: String::new(),
            pdf_data: Vec::new(),
            pdf: Vec::new(),
            tables: Vec::new(),
            sheets: Vec::new(),
        }
    }

    fn about() -> About<'static> {
        About {
            period: "2025Q3".parse().unwrap(),
            data_vintage: "v1",
            link: Some("https://seimon.example.gov.cn/reports/2025Q3/city/340100.html"),
            correction: false,
        }
    }

    fn body(post: &Post) -> serde_json::Value {
        serde_json::from_slice(&post.body).unwrap()
    }

    #[test]
    fn a_wecom_card_keeps_within_4096_bytes_by_listing_fewer_risks_and_saying_how_many_more() {
        let posts = posts(RobotKind::Wecom, &report(12), &about());
        assert_eq!(posts.iter().map(|p| p.part).collect::<Vec<_>>(), ["card", "chart"]);
        let content = body(&posts[0])["markdown"]["content"].as_str().unwrap().to_string();
        assert!(content.len() <= WECOM_MARKDOWN_BYTES, "{} bytes", content.len());
        // each risk line is 20 × 24 + ~40 bytes: some fit, the rest are counted
        let listed = (0..12).filter(|i| content.contains(&format!("第{i}项"))).count();
        assert!((3..12).contains(&listed), "{listed} listed");
        assert!(content.contains(&format!("……另有重点风险{}项，见报告", 12 - listed)), "{content}");
        assert!(content.ends_with("[查看报告](https://seimon.example.gov.cn/reports/2025Q3/city/340100.html)"));
        // a withheld figure shows as the report shows it
        assert!(content.contains("企业数：**×**"), "{content}");
        let image = &body(&posts[1])["image"];
        assert_eq!(image["md5"], hex::encode(Md5::digest(b"\x89PNG\r\n\x1a\nnot really")));
    }

    #[test]
    fn a_correction_says_so_and_a_card_without_the_console_is_plain_markdown() {
        let about = About {
            link: None,
            correction: true,
            ..about()
        };
        let ding = body(&posts(RobotKind::Dingtalk, &report(1), &about)[0]);
        assert_eq!(ding["msgtype"], "markdown");
        let text = ding["markdown"]["text"].as_str().unwrap();
        assert!(
            text.starts_with("### 【更正】合肥市十大新兴产业监测季报\n**2025年1-9月**"),
            "{text}"
        );
        assert!(text.contains("1. <font color=#d9363e>●红灯</font> 第0项"), "{text}");
        let hook = body(&posts(RobotKind::Webhook, &report(1), &about)[0]);
        assert_eq!(hook["correction"], true);
        assert_eq!(hook["url"], serde_json::Value::Null);
        assert_eq!(hook["headline"][0]["value"], "112.00");
    }
}
