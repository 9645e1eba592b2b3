//! Maps drawn on the server as SVG: no tiles, no script, nothing fetched from elsewhere, so
//! they work on a closed network and without JavaScript. Regions are links (clicking one
//! zooms into it) with a `<title>` that names them and their figure.

use std::fmt::Write;

use grassroots_geo::sites::Landmark;
use grassroots_geo::Polygon;

/// Projects (lng, lat) into the picture: an equirectangular projection scaled by the cosine
/// of the middle latitude, which keeps a district's shape true to within a fraction of a
/// percent.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    west: f64,
    north: f64,
    /// Picture units per degree of longitude and of latitude.
    per_lng: f64,
    per_lat: f64,
    pub width: f64,
    pub height: f64,
}

const MARGIN: f64 = 8.0;

impl Frame {
    /// A frame `width` units wide showing `bbox` (min lng, min lat, max lng, max lat).
    pub fn fit(bbox: (f64, f64, f64, f64), width: f64) -> Self {
        let (w, s, e, n) = bbox;
        let squash = ((s + n) / 2.0).to_radians().cos().max(0.1);
        let span_lng = (e - w).max(1e-6);
        let span_lat = (n - s).max(1e-6);
        // As wide as the picture, unless that makes it taller than 1.2 × its width: then as
        // tall as that, centred.
        let per_lng = ((width - 2.0 * MARGIN) / span_lng).min((1.2 * width - 2.0 * MARGIN) * squash / span_lat);
        let per_lat = per_lng / squash;
        Self {
            west: w - (width / per_lng - span_lng) / 2.0,
            north: n + MARGIN / per_lat,
            per_lng,
            per_lat,
            width,
            height: span_lat * per_lat + 2.0 * MARGIN,
        }
    }

    pub fn xy(&self, lng: f64, lat: f64) -> (f64, f64) {
        ((lng - self.west) * self.per_lng, (self.north - lat) * self.per_lat)
    }

    /// What the page's script needs to turn a point of the picture into (lng, lat) and back:
    /// `west,north,units per degree of longitude,units per degree of latitude`.
    pub fn transform(&self) -> String {
        format!("{:.6},{:.6},{:.4},{:.4}", self.west, self.north, self.per_lng, self.per_lat)
    }

    /// The (lng, lat) under a point of the picture: where a click on the map fell.
    pub fn lng_lat(&self, x: f64, y: f64) -> (f64, f64) {
        (self.west + x / self.per_lng, self.north - y / self.per_lat)
    }

    /// An SVG path of the polygons, holes included (drawn with `fill-rule="evenodd"`).
    pub fn path(&self, polygons: &[Polygon]) -> String {
        let mut d = String::new();
        for ring in polygons.iter().flat_map(|p| &p.rings) {
            let mut last = None;
            for (i, &(lng, lat)) in ring.iter().enumerate() {
                let (x, y) = self.xy(lng, lat);
                let point = ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
                // Points closer than a tenth of a unit add bytes, not shape.
                if last == Some(point) {
                    continue;
                }
                let _ = write!(d, "{}{} {}", if i == 0 { 'M' } else { 'L' }, tenths(point.0), tenths(point.1));
                last = Some(point);
            }
            d.push('Z');
        }
        d
    }
}

fn tenths(v: i64) -> String {
    if v % 10 == 0 {
        (v / 10).to_string()
    } else {
        format!("{:.1}", v as f64 / 10.0)
    }
}

/// A square of ground `2 × half` degrees of latitude tall around a point, as a box
/// (west, south, east, north) that looks square on the map.
pub fn square_around((lng, lat): (f64, f64), half: f64) -> (f64, f64, f64, f64) {
    let half_lng = half / lat.to_radians().cos();
    (lng - half_lng, lat - half, lng + half_lng, lat + half)
}

/// Escapes text for SVG content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a map's shading measures, with its colours (ColorBrewer's sequential schemes, light
/// to dark, chosen to stay distinct for colour-blind readers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    Blues,
    Reds,
    Greens,
}

impl Palette {
    pub fn colours(self) -> [&'static str; 5] {
        match self {
            Self::Blues => ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
            Self::Reds => ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"],
            Self::Greens => ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"],
        }
    }
}

/// Colour for regions without a figure (no households, no cases to share).
pub const NO_DATA: &str = "#e8e8e8";

/// Five classes over [0, max]: equal steps, the top class closed.
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    pub bounds: [f64; 6],
}

impl Classes {
    /// For shares: 0–20 %, …, 80–100 %.
    pub fn shares() -> Self {
        Self { bounds: [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] }
    }

    /// For counts: five equal steps up to the largest, rounded up to a multiple of 5.
    pub fn counts(max: f64) -> Self {
        let top = (max / 5.0).ceil().max(1.0) * 5.0;
        Self { bounds: std::array::from_fn(|i| top * i as f64 / 5.0) }
    }

    pub fn class_of(&self, value: f64) -> usize {
        self.bounds[1..5].iter().take_while(|&&b| value >= b).count()
    }
}

/// A region on the map.
pub struct Area<'a> {
    pub polygons: &'a [Polygon],
    pub fill: &'static str,
    /// Where clicking it goes.
    pub href: Option<String>,
    /// Its name and figure, shown on hover and read by screen readers.
    pub title: String,
    /// Written on the map at this point, when given.
    pub label: Option<(String, (f64, f64))>,
}

/// How a case is marked: overdue cases stand out, finished ones recede.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DotKind {
    Overdue,
    Pending,
    Finished,
    /// The place a resident has chosen on the map.
    Chosen,
    /// An open warning (风险预警), at the grid or community it is about.
    Warning,
}

#[derive(Clone)]
pub struct Dot {
    pub lng: f64,
    pub lat: f64,
    pub kind: DotKind,
    pub title: String,
    /// Where clicking it goes (its case).
    pub href: Option<String>,
}

/// A whole map: shaded areas, thin outlines on top of them (grids inside a street), dots,
/// landmarks to orient by; below it a scale bar and a legend, and north marked.
pub struct Map<'a> {
    pub frame: Frame,
    pub label: String,
    pub areas: Vec<Area<'a>>,
    pub lines: Vec<&'a [Polygon]>,
    pub dots: Vec<Dot>,
    /// Drawn where they fall inside the frame.
    pub landmarks: &'a [Landmark],
    /// The lines below the district are approximate (synthetic grids): the map says so.
    pub approximate: bool,
}

/// Font size of labels on the map (as the stylesheet sets it) and of the legend below.
const LABEL_SIZE: f64 = 13.0;
const LEGEND_SIZE: f64 = 11.0;
/// Height of one line of the legend strip under the map.
const LEGEND_LINE: f64 = 18.0;

/// A box on the picture: x, y of the top-left corner, width, height.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x: f64,
    y: f64,
    w: f64,
    h: f64,
}

impl Rect {
    fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    fn within(&self, width: f64, height: f64) -> bool {
        self.x >= 0.0 && self.y >= 0.0 && self.x + self.w <= width && self.y + self.h <= height
    }
}

/// Roughly how wide a text is: Chinese characters a full em, others about 0.6.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().map(|c| if c >= '\u{2e80}' { size } else { 0.6 * size }).sum()
}

/// A label where it was put: its text, its anchor point (middle of the baseline) and its box.
#[derive(Debug, Clone, PartialEq)]
struct PlacedLabel {
    text: String,
    x: f64,
    y: f64,
    rect: Rect,
}

/// Puts labels where they overlap nothing already put and stay inside the picture: each in
/// turn, at the first of its candidate places that is free, or not at all. Earlier labels win.
#[derive(Default)]
struct LabelPlacer {
    taken: Vec<Rect>,
    placed: Vec<PlacedLabel>,
}

impl LabelPlacer {
    fn reserve(&mut self, rect: Rect) {
        self.taken.push(rect);
    }

    /// `candidates`: anchor points (middle of the text's baseline) to try in order.
    fn place(&mut self, text: &str, candidates: &[(f64, f64)], width: f64, height: f64) -> bool {
        let w = text_width(text, LABEL_SIZE) + 4.0;
        for &(x, y) in candidates {
            let rect = Rect { x: x - w / 2.0, y: y - LABEL_SIZE, w, h: LABEL_SIZE + 4.0 };
            if rect.within(width, height) && !self.taken.iter().any(|t| t.overlaps(&rect)) {
                self.taken.push(rect);
                self.placed.push(PlacedLabel { text: text.to_string(), x, y, rect });
                return true;
            }
        }
        false
    }
}

/// A round length for the scale bar, in metres, about a quarter of `span_m`.
fn scale_length(span_m: f64) -> f64 {
    [50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0, 20_000.0, 50_000.0]
        .into_iter()
        .rev()
        .find(|&l| l <= span_m / 4.0)
        .unwrap_or(50.0)
}

impl Map<'_> {
    /// The labels of the areas (where each asks, or just above or below) and of the
    /// landmarks in the frame (right, left, above or below their mark), none overlapping
    /// another or the north arrow.
    fn labels(&self, landmarks: &[(&Landmark, (f64, f64))]) -> Vec<PlacedLabel> {
        let f = &self.frame;
        let mut placer = LabelPlacer::default();
        placer.reserve(north_arrow(f.width));
        for (_, (x, y)) in landmarks {
            placer.reserve(Rect { x: x - 5.0, y: y - 5.0, w: 10.0, h: 10.0 });
        }
        for area in &self.areas {
            if let Some((text, (lng, lat))) = &area.label {
                let (x, y) = f.xy(*lng, *lat);
                let y = y + LABEL_SIZE / 3.0;
                let step = LABEL_SIZE + 3.0;
                placer.place(text, &[(x, y), (x, y - step), (x, y + step)], f.width, f.height);
            }
        }
        for (landmark, (x, y)) in landmarks {
            let half = text_width(&landmark.name, LABEL_SIZE) / 2.0 + 2.0;
            let baseline = y + LABEL_SIZE / 3.0;
            let candidates =
                [(x + 8.0 + half, baseline), (x - 8.0 - half, baseline), (*x, y - 8.0), (*x, y + 8.0 + LABEL_SIZE)];
            placer.place(&landmark.name, &candidates, f.width, f.height);
        }
        placer.placed
    }

    pub fn to_svg(&self) -> String {
        let f = &self.frame;
        let total_height = picture_height(f, self.approximate);
        let mut svg = String::with_capacity(64 * 1024);
        let _ = write!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {:.0} {:.0}" class="map" role="group" aria-label="{}">"#,
            f.width,
            total_height,
            escape(&self.label)
        );
        for area in self.areas.iter().filter(|a| !a.polygons.is_empty()) {
            let title = escape(&area.title);
            let path = format!(
                r##"<path d="{}" fill="{}" fill-rule="evenodd" stroke="#444" stroke-width="1.2"><title>{title}</title></path>"##,
                f.path(area.polygons),
                area.fill
            );
            match &area.href {
                Some(href) => {
                    let _ = write!(svg, r#"<a href="{}" aria-label="{title}">{path}</a>"#, escape(href));
                }
                None => svg.push_str(&path),
            }
        }
        if !self.lines.is_empty() {
            svg.push_str(r##"<g fill="none" stroke="#777" stroke-width="0.4" pointer-events="none">"##);
            for polygons in &self.lines {
                let _ = write!(svg, r#"<path d="{}"/>"#, f.path(polygons));
            }
            svg.push_str("</g>");
        }
        let landmarks: Vec<(&Landmark, (f64, f64))> = self
            .landmarks
            .iter()
            .map(|l| (l, f.xy(l.at.0, l.at.1)))
            .filter(|(_, (x, y))| (6.0..f.width - 6.0).contains(x) && (6.0..f.height - 6.0).contains(y))
            .collect();
        for (landmark, (x, y)) in &landmarks {
            let _ = write!(
                svg,
                r##"<path class="landmark" d="{}" fill="#6a3d9a" stroke="#fff" stroke-width="1"><title>{} {}</title></path>"##,
                diamond((*x, *y), 5.0),
                escape(&landmark.name),
                escape(&landmark.name_en)
            );
        }
        // Labels after the lines so that nothing is drawn over them.
        svg.push_str(r#"<g class="labels" pointer-events="none" text-anchor="middle">"#);
        for label in self.labels(&landmarks) {
            let _ = write!(svg, r#"<text x="{:.1}" y="{:.1}">{}</text>"#, label.x, label.y, escape(&label.text));
        }
        svg.push_str("</g>");
        for dot in &self.dots {
            let (x, y) = f.xy(dot.lng, dot.lat);
            let (fill, r) = dot.kind.style();
            let title = escape(&dot.title);
            let circle = format!(
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="{r}" fill="{fill}" stroke="#fff" stroke-width="0.8"><title>{title}</title></circle>"##
            );
            match &dot.href {
                Some(href) => {
                    let _ = write!(svg, r#"<a class="dot" href="{}" aria-label="{title}">{circle}</a>"#, escape(href));
                }
                None => svg.push_str(&circle),
            }
        }
        svg.push_str(&north_arrow_svg(f.width));
        self.legend(&mut svg, !landmarks.is_empty());
        svg.push_str("</svg>");
        svg
    }

    /// Under the map: a scale bar, what the marks mean, and whether the lines are approximate.
    fn legend(&self, svg: &mut String, with_landmarks: bool) {
        let f = &self.frame;
        let top = f.height + 4.0;
        let baseline = top + LEGEND_LINE - 5.0;
        let _ = write!(
            svg,
            r##"<g class="legend" font-size="{LEGEND_SIZE}" fill="#222" pointer-events="none"><line x1="0" y1="{top:.1}" x2="{:.0}" y2="{top:.1}" stroke="#ccc"/>"##,
            f.width
        );
        // The scale bar: a round length of ground in picture units.
        let metres_per_unit = 110_574.0 / f.per_lat;
        let length = scale_length(f.width * metres_per_unit);
        let bar = length / metres_per_unit;
        let name = if length >= 1_000.0 { format!("{} km", length / 1_000.0) } else { format!("{length} m") };
        let _ = write!(
            svg,
            r##"<path d="M8 {:.1}v4h{bar:.1}v-4" fill="none" stroke="#222" stroke-width="1.2"/><text x="{:.1}" y="{baseline:.1}">{name}</text>"##,
            baseline - 4.0,
            14.0 + bar
        );
        let mut x = 14.0 + bar + text_width(&name, LEGEND_SIZE) + 16.0;
        let mut kinds: Vec<DotKind> = Vec::new();
        for dot in &self.dots {
            if !kinds.contains(&dot.kind) {
                kinds.push(dot.kind);
            }
        }
        kinds.sort_by_key(|k| *k as u8);
        for kind in kinds {
            let (fill, r) = kind.style();
            let text = kind.legend();
            let _ = write!(
                svg,
                r##"<circle class="key" cx="{:.1}" cy="{:.1}" r="{r}" fill="{fill}"/><text x="{:.1}" y="{baseline:.1}">{text}</text>"##,
                x + 4.0,
                baseline - 4.0,
                x + 11.0
            );
            x += 11.0 + text_width(text, LEGEND_SIZE) + 14.0;
        }
        if with_landmarks {
            let _ = write!(
                svg,
                r##"<path d="{}" fill="#6a3d9a"/><text x="{:.1}" y="{baseline:.1}">地标 landmark</text>"##,
                diamond((x + 4.0, baseline - 4.0), 4.5),
                x + 11.0
            );
        }
        if self.approximate {
            let _ = write!(
                svg,
                r#"<text class="approximate" x="8" y="{:.1}">界线为示意 / lines are approximate</text>"#,
                baseline + LEGEND_LINE
            );
        }
        svg.push_str("</g>");
    }
}

/// How tall a map's picture is: the frame and the legend under it. A page that turns clicks
/// on the picture back into places sizes the picture so.
pub fn picture_height(frame: &Frame, approximate: bool) -> f64 {
    let legend_lines = if approximate { 2.0 } else { 1.0 };
    frame.height + legend_lines * LEGEND_LINE + 4.0
}

/// The path of a landmark's mark: a diamond `r` from its centre to each corner.
fn diamond((x, y): (f64, f64), r: f64) -> String {
    format!("M{x:.1} {:.1}L{:.1} {y:.1}L{x:.1} {:.1}L{:.1} {y:.1}Z", y - r, x + r, y + r, x - r)
}

/// Where north is marked: the top right corner.
fn north_arrow(width: f64) -> Rect {
    Rect { x: width - 30.0, y: 2.0, w: 28.0, h: 34.0 }
}

fn north_arrow_svg(width: f64) -> String {
    let r = north_arrow(width);
    let cx = r.x + r.w / 2.0;
    format!(
        r##"<g class="north" aria-label="北 north"><path d="M{cx:.1} {:.1}l6 14h-12z" fill="#222"/><text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="{LEGEND_SIZE}" fill="#222">北 N</text></g>"##,
        r.y + 2.0,
        r.y + 30.0
    )
}

impl DotKind {
    fn style(self) -> (&'static str, f64) {
        match self {
            Self::Overdue => ("#c00000", 4.0),
            Self::Pending => ("#f0a000", 3.2),
            Self::Finished => ("#808080", 2.4),
            Self::Chosen => ("#0b57a4", 7.0),
            Self::Warning => ("#7a0177", 8.0),
        }
    }

    fn legend(self) -> &'static str {
        match self {
            Self::Overdue => "超期 overdue",
            Self::Pending => "办理中 open",
            Self::Finished => "已办结 finished",
            Self::Chosen => "所选位置 chosen place",
            Self::Warning => "风险预警 warning",
        }
    }
}

/// Horizontal bars, one per row: label, value, and the value as written beside the bar.
pub fn bar_chart(label: &str, rows: &[(String, f64, String)], colour: &str) -> String {
    const WIDTH: f64 = 560.0;
    const LABEL: f64 = 170.0;
    const ROW: f64 = 24.0;
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1e-9);
    let height = ROW * rows.len() as f64 + 4.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="chart" role="img" aria-label="{}">"#,
        escape(label)
    );
    for (i, (name, value, text)) in rows.iter().enumerate() {
        let y = 2.0 + ROW * i as f64;
        let w = (WIDTH - LABEL - 70.0) * value / max;
        let _ = write!(
            svg,
            r#"<text x="{:.0}" y="{:.1}" text-anchor="end">{}</text><rect x="{LABEL}" y="{:.1}" width="{w:.1}" height="{:.0}" fill="{colour}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}">{}</text>"#,
            LABEL - 6.0,
            y + ROW * 0.68,
            escape(name),
            y + 3.0,
            ROW - 6.0,
            escape(name),
            escape(text),
            LABEL + w + 4.0,
            y + ROW * 0.68,
            escape(text)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Lines of shares (0–1) over periods, one per series; gaps where a period has no figure.
/// A share and how many cases it rests on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Share {
    pub value: f64,
    pub of: i64,
}

/// Fewer cases than this under a point, and it is drawn hollow and grey: too few to read.
pub const FEW_CASES: i64 = 10;

/// Lines of shares over periods: each point names the share and the cases it rests on, and a
/// point on fewer than [`FEW_CASES`] cases is hollow and grey.
pub fn line_chart(label: &str, periods: &[String], series: &[(String, &str, Vec<Option<Share>>)]) -> String {
    const WIDTH: f64 = 560.0;
    const HEIGHT: f64 = 238.0;
    const LEFT: f64 = 40.0;
    const BOTTOM: f64 = 30.0;
    // The last 18 units hold the note on hollow points.
    let (plot_w, plot_h) = (WIDTH - LEFT - 10.0, HEIGHT - 18.0 - BOTTOM - 10.0);
    let x = |i: usize| LEFT + plot_w * (i as f64 + 0.5) / periods.len().max(1) as f64;
    let y = |v: f64| 10.0 + plot_h * (1.0 - v);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" aria-label="{}">"#,
        escape(label)
    );
    for share in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.0}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{:.0}" y="{:.1}" text-anchor="end">{:.0}%</text>"##,
            WIDTH - 10.0,
            y(share),
            y(share),
            LEFT - 4.0,
            y(share) + 4.0,
            share * 100.0
        );
    }
    for (i, period) in periods.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.0}" text-anchor="middle">{}</text>"#,
            x(i),
            HEIGHT - 28.0,
            escape(period)
        );
    }
    for (name, colour, values) in series {
        // A run of figures is one line; a period without one breaks it.
        let mut d = String::new();
        let mut drawing = false;
        for (i, v) in values.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(d, "{}{:.1} {:.1}", if drawing { 'L' } else { 'M' }, x(i), y(v.value));
                    drawing = true;
                }
                None => drawing = false,
            }
        }
        let _ = write!(
            svg,
            r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"><title>{}</title></path>"#,
            escape(name)
        );
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                let (fill, stroke, class) =
                    if v.of < FEW_CASES { ("#fff", "#999", "few") } else { (*colour, *colour, "point") };
                let _ = write!(
                    svg,
                    r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="3.5" fill="{fill}" stroke="{stroke}" stroke-width="1.5"><title>{} {}: {:.0}%（{} 件 / of {} cases）</title></circle>"#,
                    x(i),
                    y(v.value),
                    escape(name),
                    escape(&periods[i]),
                    v.value * 100.0,
                    v.of,
                    v.of
                );
            }
        }
    }
    let _ = write!(
        svg,
        r##"<circle cx="{LEFT}" cy="{:.0}" r="3.5" fill="#fff" stroke="#999" stroke-width="1.5"/><text x="{:.0}" y="{:.0}">不足{FEW_CASES}件，仅供参考 / fewer than {FEW_CASES} cases: a rough guide only</text>"##,
        HEIGHT - 8.0,
        LEFT + 8.0,
        HEIGHT - 4.0
    );
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, side: f64) -> Polygon {
        Polygon::rectangle(x, y, (side, side))
    }

    #[test]
    fn the_frame_keeps_shapes_true_and_north_up() {
        // Wide: it fills the width.
        let f = Frame::fit((116.0, 40.0, 116.2, 40.1), 800.0);
        let (x0, y0) = f.xy(116.0, 40.0);
        let (x1, y1) = f.xy(116.2, 40.1);
        assert!((x0 - MARGIN).abs() < 1e-9 && (x1 - (800.0 - MARGIN)).abs() < 1e-9);
        assert!(y1 < y0, "north is up");
        // A degree of latitude is longer than one of longitude at 40°N by 1/cos 40°.
        let ratio = ((y0 - y1) / 0.1) / ((x1 - x0) / 0.2);
        let expected = 1.0 / 40.05f64.to_radians().cos();
        assert!((ratio - expected).abs() < 1e-3, "ratio {ratio}");
        assert!((f.height - (y0 - y1 + 2.0 * MARGIN)).abs() < 1e-9);

        // Tall: 1.2 × the width high, centred, the same proportions.
        let f = Frame::fit((116.0, 40.0, 116.05, 40.1), 800.0);
        let (x0, y0) = f.xy(116.0, 40.0);
        let (x1, y1) = f.xy(116.05, 40.1);
        assert!((f.height - 960.0).abs() < 1e-9 && (y1 - MARGIN).abs() < 1e-9);
        assert!((x0 - (800.0 - x1)).abs() < 1e-9, "centred: {x0} {x1}");
        let ratio = ((y0 - y1) / 0.1) / ((x1 - x0) / 0.05);
        assert!((ratio - expected).abs() < 1e-3, "ratio {ratio}");

        // A click finds the place it was drawn at.
        let (x, y) = f.xy(116.0123, 40.0456);
        let (lng, lat) = f.lng_lat(x, y);
        assert!((lng - 116.0123).abs() < 1e-12 && (lat - 40.0456).abs() < 1e-12);
    }

    #[test]
    fn paths_close_rings_and_drop_repeated_points() {
        let f = Frame::fit((0.0, 0.0, 1.0, 1.0), 100.0);
        let mut p = square(0.0, 0.0, 1.0);
        p.rings[0].insert(1, (0.0, 0.0));
        assert_eq!(f.path(&[p]), "M8 92L92 92L92 8L8 8L8 92Z");
    }

    #[test]
    fn classes_split_counts_and_shares() {
        let c = Classes::counts(23.0);
        assert_eq!(c.bounds, [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]);
        assert_eq!((c.class_of(0.0), c.class_of(4.9), c.class_of(5.0), c.class_of(23.0)), (0, 0, 1, 4));
        let s = Classes::shares();
        assert_eq!((s.class_of(0.19), s.class_of(0.2), s.class_of(1.0)), (0, 1, 4));
        assert_eq!(Classes::counts(0.0).bounds[5], 5.0, "an empty map still has a scale");
    }

    #[test]
    fn charts_scale_to_the_largest_value_and_break_lines_at_gaps() {
        let bars = bar_chart("x", &[("a".into(), 10.0, "10".into()), ("b<".into(), 5.0, "5".into())], "#333");
        assert!(bars.contains(r#"width="320.0""#) && bars.contains(r#"width="160.0""#), "{bars}");
        assert!(bars.contains("b&lt;"));
        let periods = vec!["W1".to_string(), "W2".into(), "W3".into()];
        let points = vec![Some(Share { value: 1.0, of: 40 }), None, Some(Share { value: 0.5, of: 4 })];
        let lines = line_chart("y", &periods, &[("响应率".into(), "#000", points)]);
        // Two separate runs: each starts with a move.
        let d = lines.split(r#"<path d=""#).nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(lines.contains("响应率 W3: 50%（4 件 / of 4 cases）"), "each point says what it rests on");
        assert_eq!(lines.matches(r#"class="few""#).count(), 1, "only the point on four cases is greyed");
        assert_eq!(lines.matches(r#"class="point""#).count(), 1);
        assert!(lines.contains("不足10件"));
    }

    #[test]
    fn regions_are_links_and_text_is_escaped() {
        let square = [square(116.0, 40.0, 0.1)];
        let map = Map {
            frame: Frame::fit((116.0, 40.0, 116.1, 40.1), 400.0),
            label: "东城区 <map>".into(),
            areas: vec![Area {
                polygons: &square,
                fill: Palette::Blues.colours()[2],
                href: Some("/map?region=110101001&shade=volume".into()),
                title: "东华门街道: 12 件 & more".into(),
                label: Some(("东华门".into(), (116.05, 40.05))),
            }],
            lines: vec![&square],
            dots: vec![Dot {
                lng: 116.05,
                lat: 40.05,
                kind: DotKind::Overdue,
                title: "A\"1".into(),
                href: Some("/cases/1".into()),
            }],
            landmarks: &[],
            approximate: false,
        };
        let svg = map.to_svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"aria-label="东城区 &lt;map&gt;""#));
        assert!(svg.contains(r#"<a href="/map?region=110101001&amp;shade=volume""#));
        assert!(svg.contains("<title>东华门街道: 12 件 &amp; more</title>"));
        assert!(svg.contains(r##"fill="#6baed6""##));
        assert!(svg.contains(">东华门</text>"));
        assert!(svg.contains(r##"fill="#c00000""##) && svg.contains("<title>A&quot;1</title>"));
        assert!(svg.contains(r#"<a class="dot" href="/cases/1""#), "a point opens its case");
        assert!(svg.contains("超期 overdue") && !svg.contains("已办结"), "the legend names the marks shown");
        assert!(!svg.contains("approximate"));
    }

    fn landmark(name: &str, at: (f64, f64)) -> Landmark {
        Landmark { name: name.into(), name_en: format!("{name} (en)"), at, street_code: "110101001".into() }
    }

    #[test]
    fn labels_never_overlap_and_the_lesser_give_way() {
        let squares: Vec<[Polygon; 1]> = (0..6).map(|i| [square(116.0 + 0.01 * i as f64, 40.0, 0.01)]).collect();
        // Six areas labelled at nearly one point and landmarks crowded around it.
        let areas = squares
            .iter()
            .enumerate()
            .map(|(i, sq)| Area {
                polygons: sq,
                fill: NO_DATA,
                href: None,
                title: String::new(),
                label: Some((format!("第{i}街道"), (116.03 + 0.0005 * i as f64, 40.005))),
            })
            .collect();
        let landmarks: Vec<Landmark> =
            (0..8).map(|i| landmark(&format!("地标{i}"), (116.029 + 0.001 * i as f64, 40.004))).collect();
        let map = Map {
            frame: Frame::fit((116.0, 40.0, 116.06, 40.01), 600.0),
            label: String::new(),
            areas,
            lines: vec![],
            dots: vec![],
            landmarks: &landmarks,
            approximate: true,
        };
        let inside: Vec<(&Landmark, (f64, f64))> =
            landmarks.iter().map(|l| (l, map.frame.xy(l.at.0, l.at.1))).collect();
        let placed = map.labels(&inside);
        assert!(placed.len() >= 3, "some fit: {placed:?}");
        assert!(placed.len() < 6 + 8, "not all fit in so little room");
        for (i, a) in placed.iter().enumerate() {
            assert!(a.rect.within(map.frame.width, map.frame.height), "{a:?}");
            assert!(!a.rect.overlaps(&north_arrow(map.frame.width)));
            for b in &placed[i + 1..] {
                assert!(!a.rect.overlaps(&b.rect), "{a:?} overlaps {b:?}");
            }
        }
        assert_eq!(placed[0].text, "第0街道", "areas first, in their order");
        let svg = map.to_svg();
        assert_eq!(svg.matches(r#"class="landmark""#).count(), 8, "every landmark is marked, labelled or not");
        assert!(svg.contains("<title>地标0 地标0 (en)</title>"));
        assert!(svg.contains("北 N") && svg.contains("地标 landmark") && svg.contains("approximate"));
    }

    #[test]
    fn the_scale_bar_is_a_round_length_of_ground() {
        assert_eq!(scale_length(8_300.0), 2_000.0);
        assert_eq!(scale_length(450.0), 100.0);
        assert_eq!(scale_length(10.0), 50.0);
        // A map of about 8.3 km across draws 2 km as a quarter of its width or less.
        let map = Map {
            frame: Frame::fit((116.37, 39.85, 116.47, 39.98), 600.0),
            label: String::new(),
            areas: vec![],
            lines: vec![],
            dots: vec![],
            landmarks: &[],
            approximate: false,
        };
        let svg = map.to_svg();
        let bar: f64 = svg.split("v4h").nth(1).unwrap().split('v').next().unwrap().parse().unwrap();
        let metres_per_unit = 110_574.0 / map.frame.per_lat;
        assert!(svg.contains(">2 km</text>"), "{svg}");
        assert!((bar - 2_000.0 / metres_per_unit).abs() <= 0.05, "drawn to a tenth of a unit: {bar}");
        assert!(bar <= map.frame.width / 4.0);
    }
}
