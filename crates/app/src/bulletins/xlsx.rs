//! A bulletin as an Excel workbook: one sheet, its tables one under another, counts and rates
//! kept as numbers (a rate as the fraction it shows, formatted as a percentage) so they can be
//! summed and charted, and equal to what the page and the PDF print.

use grassroots_domain::bulletins::{Bulletin, Cell};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The bulletin as an `.xlsx` file.
pub fn render(bulletin: &Bulletin) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("通报")?;
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let share = Format::new().set_num_format("0.0%");
    let decimal = Format::new().set_num_format("0.0");
    let plus = Format::new().set_num_format("+0.0;-0.0;0.0");
    sheet.set_column_width(0, 28)?;
    for column in 1..8 {
        sheet.set_column_width(column, 14)?;
    }
    sheet.write_string_with_format(0, 0, bulletin.title(), &title)?;
    sheet.write_string(1, 0, format!("由平台数据自动生成 · 统计口径与数据看板一致 · {}", bulletin.subject.code))?;
    let mut row: u32 = 3;
    for table in bulletin.tables() {
        sheet.write_string_with_format(row, 0, table.title, &bold)?;
        row += 1;
        for (column, header) in table.headers.iter().enumerate() {
            sheet.write_string_with_format(row, column as u16, *header, &bold)?;
        }
        row += 1;
        if table.rows.is_empty() {
            sheet.write_string(row, 0, "（无）")?;
            row += 1;
        }
        for cells in &table.rows {
            for (column, cell) in cells.iter().enumerate() {
                let column = column as u16;
                match (cell, cell.number()) {
                    (Cell::Count(n), _) => sheet.write_number(row, column, *n as f64)?,
                    (Cell::Share(_), Some(v)) => sheet.write_number_with_format(row, column, v, &share)?,
                    (Cell::Score(_), Some(v)) => sheet.write_number_with_format(row, column, v, &decimal)?,
                    (Cell::Points(_), Some(v)) => sheet.write_number_with_format(row, column, v, &plus)?,
                    (_, _) => sheet.write_string(row, column, cell.shown())?,
                };
            }
            row += 1;
        }
        row += 1;
    }
    workbook.save_to_buffer()
}
