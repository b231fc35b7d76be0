//! `report.xlsx`: every table of a report on its own sheet, numbers as numbers (full
//! precision) with display formats, Chinese headers. No I/O: the workbook is returned as
//! bytes.

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};

use super::{Cell, Fmt, RenderError, RenderedReport};

/// The workbook of one report.
pub fn workbook(report: &RenderedReport) -> Result<Vec<u8>, RenderError> {
    let mut book = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xEEF2F7))
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center);
    let text = Format::new().set_border(FormatBorder::Thin);
    let bold_text = Format::new().set_border(FormatBorder::Thin).set_bold();
    let number = |fmt: Fmt, bold: bool| {
        let f = Format::new().set_border(FormatBorder::Thin).set_num_format(match fmt {
            Fmt::Money => "#,##0.00",
            Fmt::One => "0.0",
            Fmt::Int => "0",
        });
        if bold { f.set_bold() } else { f }
    };
    let mut used: Vec<String> = Vec::new();
    for table in report.tables.iter().chain(&report.sheets) {
        // sheet names: unique, at most 31 characters
        let mut name: String = table.sheet.chars().take(28).collect();
        let base = name.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        used.push(name.clone());
        let sheet = book.add_worksheet();
        sheet.set_name(&name)?;
        sheet.write_string_with_format(0, 0, &table.title, &title)?;
        for (j, h) in table.header.iter().enumerate() {
            sheet.write_string_with_format(2, j as u16, h, &header)?;
            sheet.set_column_width(j as u16, if j == 0 { 28.0 } else { 14.0 })?;
        }
        sheet.set_row_height(2, 36.0)?;
        for (i, row) in table.rows.iter().enumerate() {
            let r = 3 + i as u32;
            for (j, cell) in row.cells.iter().enumerate() {
                let col = j as u16;
                match cell {
                    Cell::Text(t) => sheet.write_string_with_format(r, col, t, if row.emphasis { &bold_text } else { &text })?,
                    Cell::Num(Some(v), fmt) => sheet.write_number_with_format(r, col, *v, &number(*fmt, row.emphasis))?,
                    Cell::Num(None, _) => sheet.write_string_with_format(r, col, "—", &text)?,
                    Cell::Suppressed => sheet.write_string_with_format(r, col, super::SUPPRESSED_MARK, &text)?,
                };
            }
        }
        if let Some(note) = &table.note {
            sheet.write_string(3 + table.rows.len() as u32 + 1, 0, note)?;
        }
        sheet.set_freeze_panes(3, 1)?;
    }
    if report.tables.is_empty() {
        book.add_worksheet().set_name("说明")?.write_string(0, 0, "本报告没有表格。")?;
    }
    Ok(book.save_to_buffer()?)
}
