//! The reports typeset as PDF, read back with poppler's tools: a `report.pdf` beside every
//! report's HTML, A4; the Chinese headline sentence extracted by `pdftotext`; the one font
//! embedded (`pdffonts`); a table that runs over a page break repeats its header on the
//! next page; every page rasterises (`pdftoppm`).

use std::path::Path;

use crate::support::{poppler, seimon, stderr};

/// Text with every kind of white space removed (pdftotext breaks lines where the page does).
fn squeeze(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether a table cell's text is on a page: its first line is one of the page's lines and
/// each further line one of the next dozen (a wrapped header cell comes out line by line,
/// the lines of the cells beside it between its own).
fn cell_in_lines(cell: &str, lines: &[String]) -> bool {
    fn rest_from(rest: &str, lines: &[String], from: usize) -> bool {
        rest.is_empty()
            || lines
                .iter()
                .enumerate()
                .skip(from)
                .take(12)
                .any(|(i, line)| rest.strip_prefix(line.as_str()).is_some_and(|after| rest_from(after, lines, i + 1)))
    }
    (0..lines.len()).any(|i| {
        cell.strip_prefix(lines[i].as_str())
            .is_some_and(|after| rest_from(after, lines, i + 1))
    })
}

/// The text of one page of a PDF.
fn page_text(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    poppler("pdftotext", &["-f", &p, "-l", &p, pdf.to_str().unwrap(), "-"]).unwrap()
}

/// The headline sentence of an archived HTML report (the paragraph after 一、总体情况).
fn headline_sentence(html: &str) -> String {
    let after = html.split("一、总体情况</h2>").nth(1).expect("the overview section");
    let p = after.split("<p").nth(1).unwrap();
    let text = p.split_once('>').unwrap().1.split("</p>").next().unwrap();
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
}

#[test]
fn every_report_has_a_pdf_that_reads_back_with_its_headline_fonts_and_table_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = seimon(dir, &["demo", "--dir", "."], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let folder = dir.join("reports/2026Q3");

    // a PDF beside every report
    let mut reports = vec![folder.join("report.html")];
    for sub in ["industry", "city", "chain"] {
        for e in std::fs::read_dir(folder.join(sub)).unwrap() {
            reports.push(e.unwrap().path());
        }
    }
    let htmls: Vec<_> = reports.into_iter().filter(|p| p.extension().is_some_and(|e| e == "html")).collect();
    assert!(htmls.len() >= 27, "{htmls:?}");
    for html in &htmls {
        let pdf = std::fs::read(html.with_extension("pdf")).unwrap_or_else(|e| panic!("{}: {e}", html.display()));
        assert!(pdf.starts_with(b"%PDF-"), "{}", html.display());
    }
    let province = folder.join("report.pdf");
    let Some(info) = poppler("pdfinfo", &[province.to_str().unwrap()]) else {
        return;
    };
    // A4: 595.28 × 841.89 points
    assert!(info.contains("Page size:       595.276 x 841.89 pts (A4)"), "{info}");
    let pages: usize = info.lines().find_map(|l| l.strip_prefix("Pages:")).unwrap().trim().parse().unwrap();
    assert!(pages >= 3, "{info}");

    // the Chinese headline sentence, as the HTML report says it, in every report's text
    for html in &htmls {
        let sentence = headline_sentence(&std::fs::read_to_string(html).unwrap());
        assert!(sentence.contains("同比"), "{sentence}");
        let pdf = html.with_extension("pdf");
        let text = poppler("pdftotext", &[pdf.to_str().unwrap(), "-"]).unwrap();
        assert!(
            squeeze(&text).contains(&squeeze(&sentence)),
            "{}: the headline sentence {sentence:?} is not in the PDF's text",
            pdf.display()
        );
    }

    // one font, embedded (as a subset): the project's CJK font, nothing from the system
    let fonts = poppler("pdffonts", &[province.to_str().unwrap()]).unwrap();
    let faces: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!faces.is_empty(), "{fonts}");
    for face in &faces {
        let columns: Vec<&str> = face.split_whitespace().collect();
        assert!(columns[0].contains("WenQuanYi"), "{fonts}");
        // name, type (two words), encoding, emb, sub, uni, object, id
        let n = columns.len();
        assert_eq!((columns[n - 5], columns[n - 4]), ("yes", "yes"), "embedded as a subset: {fonts}");
    }

    // a table that runs over a page break repeats its header: the province's sub-regions
    // table ("分城市情况") starts on one page and ends on a later one, and every page it
    // spans carries its header
    let raw: Vec<String> = (1..=pages).map(|p| page_text(&province, p)).collect();
    let texts: Vec<String> = raw.iter().map(|t| squeeze(t)).collect();
    let title = "分城市情况";
    let first = texts.iter().position(|t| t.contains(title)).expect("the cities table");
    let last_city = "宣城市";
    let last = (first..pages)
        .find(|&p| texts[p].contains(last_city) && !texts[p].contains("分产业"))
        .expect("the table's last row");
    assert!(
        last > first,
        "the cities table no longer runs over a page break (pages {first}..{last})"
    );
    // (a header cell may wrap: its lines come out of pdftotext apart, other cells' between)
    let header = ["营业收入（亿元）", "同比增长（%）", "与安徽省增速差（个百分点）", "增速位次"];
    for (p, text) in raw.iter().enumerate().take(last + 1).skip(first + 1) {
        let lines: Vec<String> = text.lines().map(squeeze).filter(|l| !l.is_empty()).collect();
        for cell in header {
            assert!(
                cell_in_lines(cell, &lines),
                "page {} continues the table without its header cell {cell}",
                p + 1
            );
        }
    }

    // every page rasterises
    let shots = tmp.path().join("pages");
    std::fs::create_dir_all(&shots).unwrap();
    poppler(
        "pdftoppm",
        &["-r", "40", "-png", province.to_str().unwrap(), shots.join("p").to_str().unwrap()],
    )
    .unwrap();
    let rendered = std::fs::read_dir(&shots).unwrap().count();
    assert_eq!(rendered, pages, "a PNG per page");
}
