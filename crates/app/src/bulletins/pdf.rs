//! A bulletin as PDF: A4 pages of its tables. The text is set in STSong-Light through the
//! UniGB-UTF16-H encoding, one of the Chinese fonts every PDF reader supplies itself (Adobe's
//! Asian font packs, pdf.js and PDFium's built-in CMaps), so no font is embedded or shipped.
//! Content streams are left uncompressed: a bulletin is a few kilobytes, and its numbers stay
//! readable in the file.

use grassroots_domain::bulletins::{Bulletin, Cell};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const LINE: f32 = 18.0;
const FONT: Name<'static> = Name(b"F1");

/// Text as the encoding wants it: UTF-16, big-endian.
fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// Pages of lines, each line a few pieces of text at their x.
struct Pages {
    pages: Vec<Content>,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Self { pages: vec![Content::new()], y: HEIGHT - MARGIN }
    }

    /// Moves down by `height`, opening a page when this one is full.
    fn advance(&mut self, height: f32) {
        self.y -= height;
        if self.y < MARGIN {
            self.pages.push(Content::new());
            self.y = HEIGHT - MARGIN - height;
        }
    }

    fn line(&mut self, pieces: &[(f32, &str)], size: f32) {
        self.advance(size + 8.0);
        let y = self.y;
        let page = self.pages.last_mut().expect("a page is always open");
        for (x, text) in pieces {
            page.begin_text();
            page.set_font(FONT, size);
            page.next_line(*x, y);
            page.show(Str(&utf16(text)));
            page.end_text();
        }
    }
}

/// How wide text is in half-width units: a Han character takes two.
fn units(text: &str) -> f32 {
    text.chars().map(|c| if c.is_ascii() { 1.0 } else { 2.0 }).sum()
}

/// The x of each column: as wide as its widest text at `size`, with a gap, squeezed to the page.
fn columns(headers: &[&str], rows: &[Vec<String>], size: f32) -> Vec<f32> {
    let half = size / 2.0;
    let widths: Vec<f32> = (0..headers.len())
        .map(|i| {
            let widest = rows.iter().filter_map(|r| r.get(i)).map(|t| units(t)).fold(units(headers[i]), f32::max);
            (widest + 3.0) * half
        })
        .collect();
    let total: f32 = widths.iter().sum();
    let scale = ((WIDTH - 2.0 * MARGIN) / total).min(1.0);
    let mut x = MARGIN;
    widths
        .iter()
        .map(|w| {
            let at = x;
            x += w * scale;
            at
        })
        .collect()
}

/// The bulletin as a PDF document.
pub fn render(bulletin: &Bulletin) -> Vec<u8> {
    let mut pages = Pages::new();
    pages.line(&[(MARGIN, &bulletin.title())], 16.0);
    let note = format!("由平台数据自动生成 · 统计口径与数据看板一致 · {}", bulletin.subject.code);
    pages.line(&[(MARGIN, &note)], 9.0);
    for table in bulletin.tables() {
        pages.advance(6.0);
        pages.line(&[(MARGIN, table.title)], 12.0);
        let shown: Vec<Vec<String>> = table.rows.iter().map(|row| row.iter().map(Cell::shown).collect()).collect();
        let xs = columns(&table.headers, &shown, 10.0);
        let headers: Vec<(f32, &str)> = xs.iter().copied().zip(table.headers.iter().copied()).collect();
        pages.line(&headers, 10.0);
        if table.rows.is_empty() {
            pages.line(&[(MARGIN, "（无）")], 10.0);
        }
        for row in &shown {
            let cells: Vec<(f32, &str)> = xs.iter().copied().zip(row.iter().map(String::as_str)).collect();
            pages.line(&cells, 10.0);
        }
        pages.advance(LINE / 3.0);
    }

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let font = Ref::new(3);
    let cid_font = Ref::new(4);
    let descriptor = Ref::new(5);
    let first_page = 6;
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    let ids: Vec<(Ref, Ref)> = (0..pages.pages.len() as i32)
        .map(|i| (Ref::new(first_page + 2 * i), Ref::new(first_page + 2 * i + 1)))
        .collect();
    pdf.pages(tree).kids(ids.iter().map(|(page, _)| *page)).count(ids.len() as i32);
    pdf.type0_font(font)
        .base_font(Name(b"STSong-Light"))
        .encoding_predefined(Name(b"UniGB-UTF16-H"))
        .descendant_font(cid_font);
    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type0)
        .base_font(Name(b"STSong-Light"))
        .system_info(SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"GB1"), supplement: 4 })
        .font_descriptor(descriptor)
        .default_width(1000.0);
    // The proportional Latin glyphs (CIDs 1 to 95) are about half as wide as a Han character.
    cid.widths().same(1, 95, 500.0);
    cid.finish();
    pdf.font_descriptor(descriptor)
        .name(Name(b"STSong-Light"))
        .flags(FontFlags::NON_SYMBOLIC | FontFlags::SERIF)
        .bbox(Rect::new(-25.0, -254.0, 1000.0, 880.0))
        .italic_angle(0.0)
        .ascent(880.0)
        .descent(-120.0)
        .cap_height(880.0)
        .stem_v(93.0);
    for ((page, contents), content) in ids.iter().zip(pages.pages) {
        let mut p = pdf.page(*page);
        p.parent(tree).media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT)).contents(*contents);
        p.resources().fonts().pair(FONT, font);
        p.finish();
        pdf.stream(*contents, &content.finish());
    }
    pdf.finish()
}
