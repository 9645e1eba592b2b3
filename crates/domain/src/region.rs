//! Statistical division codes (统计用区划代码): 2 + 2 + 2 + 3 + 3 digits, and grid codes that
//! extend a community code with a 3-digit serial.

use std::collections::HashMap;
use std::fmt;

use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};

use crate::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    City,
    /// District or county (区/县), 6 digits.
    County,
    /// Street office or township (街道/乡镇), 9 digits.
    Township,
    /// Residents' or villagers' committee (社区/村), 12 digits.
    Community,
    /// A grid (网格) below a community, 15 digits.
    Grid,
}

impl RegionLevel {
    pub fn digits(self) -> usize {
        match self {
            Self::Province => 2,
            Self::City => 4,
            Self::County => 6,
            Self::Township => 9,
            Self::Community => 12,
            Self::Grid => 15,
        }
    }

    pub fn from_digits(len: usize) -> Option<Self> {
        Some(match len {
            2 => Self::Province,
            4 => Self::City,
            6 => Self::County,
            9 => Self::Township,
            12 => Self::Community,
            15 => Self::Grid,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
            Self::Township => "township",
            Self::Community => "community",
            Self::Grid => "grid",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Province, Self::City, Self::County, Self::Township, Self::Community, Self::Grid]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// A region or grid code in its significant form: 2, 4, 6, 9, 12 or 15 digits.
/// A 12-digit statistical code padded with zeros is shortened to its level
/// (`110101000000` → `110101`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let invalid = || {
            FieldError::new(
                "region",
                format!("区划代码“{s}”无效：应为2、4、6、9、12位数字（网格15位）"),
                format!("invalid region code '{s}': expected 2, 4, 6, 9 or 12 digits (15 for a grid)"),
            )
        };
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let significant = if s.len() == 12 { shorten_padded(s) } else { s };
        RegionLevel::from_digits(significant.len()).ok_or_else(invalid)?;
        Ok(Self(significant.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        RegionLevel::from_digits(self.0.len()).expect("validated on construction")
    }

    /// The enclosing region at `level`, if this code is at or below it.
    pub fn ancestor(&self, level: RegionLevel) -> Option<RegionCode> {
        (level.digits() <= self.0.len()).then(|| RegionCode(self.0[..level.digits()].to_string()))
    }

    /// The region one level up (a grid's community, a community's street…); `None` for a province.
    pub fn parent(&self) -> Option<RegionCode> {
        let digits = self.0.len();
        [RegionLevel::Community, RegionLevel::Township, RegionLevel::County, RegionLevel::City, RegionLevel::Province]
            .into_iter()
            .find(|l| l.digits() < digits)
            .and_then(|l| self.ancestor(l))
    }

    /// True when `other` is this region or lies inside it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(&self.0)
    }
}

/// `110101001000` → `110101001`: drop the zero groups of the levels below.
fn shorten_padded(s: &str) -> &str {
    for level in [RegionLevel::Province, RegionLevel::City, RegionLevel::County, RegionLevel::Township] {
        if s[level.digits()..].bytes().all(|b| b == b'0') {
            return &s[..level.digits()];
        }
    }
    s
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> Self {
        c.0
    }
}

/// A region as loaded from the reference CSV (`code,name,level,parent_code`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
}

/// Parses a region CSV. Two layouts are understood, told apart by the header:
/// `code,name,level,parent_code` (data/beijing-regions.csv), and the files of the
/// china-division package (`provinces.csv` … `villages.csv`: `code,name,` then parent codes),
/// whose level and parent follow from the code itself. Errors name the line.
pub fn parse_region_csv(text: &str) -> Result<Vec<Region>, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("line 1: {e}"))?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(code_at), Some(name_at)) = (column("code"), column("name")) else {
        return Err("line 1: the header must name the columns code and name".into());
    };
    let explicit = column("level").zip(column("parent_code"));
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| match e.position() {
            Some(p) => format!("line {}: {e}", p.line()),
            None => e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or_default();
        let code = RegionCode::parse(field(code_at)).map_err(|e| format!("line {line}: {e}"))?;
        let name = field(name_at);
        if name.is_empty() {
            return Err(format!("line {line}: the name is empty"));
        }
        let (level, parent) = match explicit {
            Some((level_at, parent_at)) => {
                let level = RegionLevel::parse(field(level_at))
                    .filter(|l| *l != RegionLevel::Grid)
                    .ok_or_else(|| format!("line {line}: unknown level '{}'", field(level_at)))?;
                let parent = match field(parent_at) {
                    "" => None,
                    p => Some(RegionCode::parse(p).map_err(|e| format!("line {line}: {e}"))?),
                };
                (level, parent)
            }
            None => (code.level(), code.parent()),
        };
        if level == RegionLevel::Grid || level != code.level() {
            return Err(format!("line {line}: code {code} does not have the digits of a {} region", level.as_str()));
        }
        out.push(Region { code, name: name.to_string(), level, parent });
    }
    Ok(out)
}

/// Finds regions named in free text, such as an address typed by a resident.
#[derive(Debug, Clone)]
pub struct Gazetteer {
    regions: Vec<Region>,
    /// Every name of two characters or more, as people write it, found in one scan of the text
    /// instead of one search per region (Beijing has 7,902).
    names: AhoCorasick,
    /// The regions that go by each name: several communities share one.
    named: Vec<Vec<usize>>,
}

/// A place name in pinyin for English readers, its kind in English: 东华门街道 → "Donghuamen
/// Subdistrict", 多福巷社区 → "Duofuxiang Community". The most common reading of each character
/// is taken, so a name with an unusual reading may come out wrong.
pub fn romanised(name: &str) -> String {
    const KINDS: [(&str, &str); 7] = [
        ("街道", "Subdistrict"),
        ("社区", "Community"),
        ("地区", "Area"),
        ("区", "District"),
        ("市", ""),
        ("镇", "Town"),
        ("乡", "Township"),
    ];
    let name = spoken_name(name.trim());
    let (stem, kind) = KINDS
        .iter()
        .find_map(|(suffix, english)| name.strip_suffix(suffix).filter(|s| !s.is_empty()).map(|s| (s, *english)))
        .unwrap_or((name, ""));
    let mut words = String::new();
    for (c, reading) in stem.chars().zip(pinyin::ToPinyin::to_pinyin(&stem)) {
        match reading.map(|r| r.plain()) {
            Some(syllable) => words.push_str(syllable),
            // Not a Chinese character: a digit or a Latin letter, kept as it is.
            None => words.push(c),
        }
    }
    let mut chars = words.chars();
    let capitalised: String = chars.next().map(|f| f.to_uppercase().chain(chars).collect()).unwrap_or_default();
    match kind {
        "" => capitalised,
        kind => format!("{capitalised} {kind}"),
    }
}

/// A community's name as people write it: 多福巷社区居委会 → 多福巷社区, 南口村委会 → 南口村.
pub fn spoken_name(name: &str) -> &str {
    name.strip_suffix("居委会").or_else(|| name.strip_suffix("委会")).unwrap_or(name)
}

impl Gazetteer {
    pub fn new(regions: Vec<Region>) -> Self {
        let mut pattern_of: HashMap<&str, usize> = HashMap::new();
        let (mut patterns, mut named): (Vec<&str>, Vec<Vec<usize>>) = (Vec::new(), Vec::new());
        for (i, region) in regions.iter().enumerate() {
            let name = spoken_name(&region.name);
            if name.chars().count() < 2 {
                continue;
            }
            let pattern = *pattern_of.entry(name).or_insert_with(|| {
                patterns.push(name);
                named.push(Vec::new());
                named.len() - 1
            });
            named[pattern].push(i);
        }
        // Building fails only past the automaton's size limits (billions of states), far
        // beyond any country's region names.
        let names = AhoCorasick::new(patterns).expect("region names fit an automaton");
        Self { regions, names, named }
    }

    /// The deepest region the text names without ambiguity: a community when exactly one
    /// named community fits the named street (if any), else the named street, else the district.
    pub fn locate_in_text(&self, text: &str) -> Option<RegionCode> {
        let all = self.named_in(text);
        let named = |level: RegionLevel| -> Vec<&Region> { all.iter().copied().filter(|r| r.level == level).collect() };
        let districts = named(RegionLevel::County);
        let streets: Vec<&Region> = named(RegionLevel::Township)
            .into_iter()
            .filter(|s| districts.is_empty() || districts.iter().any(|d| d.code.contains(&s.code)))
            .collect();
        let communities: Vec<&Region> = named(RegionLevel::Community)
            .into_iter()
            .filter(|c| streets.is_empty() || streets.iter().any(|s| s.code.contains(&c.code)))
            .filter(|c| districts.is_empty() || districts.iter().any(|d| d.code.contains(&c.code)))
            .collect();
        match (communities.as_slice(), streets.as_slice(), districts.as_slice()) {
            ([one], _, _) => Some(one.code.clone()),
            (_, [one], _) => Some(one.code.clone()),
            (_, _, [one]) => Some(one.code.clone()),
            _ => None,
        }
    }

    /// Every region whose name (of two characters or more) the text contains.
    fn named_in(&self, text: &str) -> Vec<&Region> {
        let mut found: Vec<usize> = self.names.find_overlapping_iter(text).map(|m| m.pattern().as_usize()).collect();
        found.sort_unstable();
        found.dedup();
        found.iter().flat_map(|&p| &self.named[p]).map(|&i| &self.regions[i]).collect()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn place_names_read_in_pinyin_with_their_kind_in_english() {
        assert_eq!(romanised("东华门街道"), "Donghuamen Subdistrict");
        assert_eq!(romanised("多福巷社区居委会"), "Duofuxiang Community");
        assert_eq!(romanised("东城区"), "Dongcheng District");
        assert_eq!(romanised("王府井"), "Wangfujing");
        assert_eq!(romanised("三里屯1号院"), "Sanlitun1haoyuan", "digits kept");
    }

    use super::*;

    #[test]
    fn padded_codes_shorten_to_their_level() {
        assert_eq!(RegionCode::parse("110101000000").unwrap().as_str(), "110101");
        assert_eq!(RegionCode::parse("110101001000").unwrap().as_str(), "110101001");
        assert_eq!(RegionCode::parse("110101001001").unwrap().level(), RegionLevel::Community);
    }

    #[test]
    fn containment_follows_prefixes() {
        let district = RegionCode::parse("110101").unwrap();
        let community = RegionCode::parse("110101001001").unwrap();
        let other = RegionCode::parse("110102001001").unwrap();
        assert!(district.contains(&community));
        assert!(!district.contains(&other));
        assert_eq!(community.ancestor(RegionLevel::Township).unwrap().as_str(), "110101001");
        assert_eq!(district.ancestor(RegionLevel::Community), None);
    }

    #[test]
    fn malformed_codes_name_the_field() {
        for bad in ["", "11a", "1101010", "1234567890123"] {
            assert_eq!(RegionCode::parse(bad).unwrap_err().field, "region");
        }
    }

    #[test]
    fn addresses_name_their_region() {
        let all = parse_region_csv(include_str!("../../../data/beijing-regions.csv")).unwrap();
        let g = Gazetteer::new(all);
        let at = |t: &str| g.locate_in_text(t).map(|c| c.as_str().to_string());
        assert_eq!(at("东华门街道多福巷社区3号楼门口").as_deref(), Some("110101001001"));
        assert_eq!(at("多福巷社区南口").as_deref(), Some("110101001001"));
        assert_eq!(at("东城区景山街道某胡同").as_deref(), Some("110101002"));
        assert_eq!(at("一个没有地名的地址"), None);
    }

    static BEIJING: std::sync::LazyLock<Gazetteer> = std::sync::LazyLock::new(|| {
        Gazetteer::new(parse_region_csv(include_str!("../../../data/beijing-regions.csv")).unwrap())
    });

    proptest::proptest! {
        /// One scan finds exactly the names a search for each region's name finds.
        #[test]
        fn addresses_are_read_as_a_search_per_region_would(
            picks in proptest::collection::vec(0usize..7902, 0..4),
            filler in "[号楼门口东西南北路街]{0,3}",
        ) {
            let g = &*BEIJING;
            let text: String = picks.iter().map(|&i| format!("{}{filler}", spoken_name(&g.regions[i].name))).collect();
            let names_in_text: Vec<&str> = g
                .regions
                .iter()
                .map(|r| spoken_name(&r.name))
                .filter(|n| n.chars().count() >= 2 && text.contains(n))
                .collect();
            let mut scanned: Vec<&str> = g.named_in(&text).iter().map(|r| spoken_name(&r.name)).collect();
            let mut searched = names_in_text;
            scanned.sort_unstable();
            searched.sort_unstable();
            proptest::prop_assert_eq!(scanned, searched);
        }
    }

    #[test]
    fn china_division_files_parse_with_levels_and_parents_from_codes() {
        let villages = "code,name,streetCode,provinceCode,cityCode,areaCode\n\
                        110101001001,\"多福巷社区居委会\",110101001,11,1101,110101\n";
        let regions = parse_region_csv(villages).unwrap();
        assert_eq!(regions[0].name, "多福巷社区居委会");
        assert_eq!(regions[0].level, RegionLevel::Community);
        assert_eq!(regions[0].parent.as_ref().unwrap().as_str(), "110101001");
        let cities = parse_region_csv("code,name,provinceCode\n1101,\"市辖区\",11\n").unwrap();
        assert_eq!(cities[0].parent.as_ref().unwrap().as_str(), "11");
        assert_eq!(parse_region_csv("code,name\n11,北京市\n").unwrap()[0].parent, None);
    }

    #[test]
    fn bad_lines_are_named() {
        let err =
            parse_region_csv("code,name,level,parent_code\n11,北京市,province,\n1101x,市辖区,city,11\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = parse_region_csv("code,name,level,parent_code\n110101,东城区,township,1101\n").unwrap_err();
        assert!(err.contains("line 2") && err.contains("township"), "{err}");
        assert!(parse_region_csv("id,title\n1,x\n").unwrap_err().contains("code and name"));
    }

    #[test]
    fn reference_csv_parses() {
        let regions = parse_region_csv(include_str!("../../../data/beijing-regions.csv")).unwrap();
        assert_eq!(regions.len(), 7902);
        let dongcheng_streets = regions
            .iter()
            .filter(|r| r.level == RegionLevel::Township && r.code.as_str().starts_with("110101"))
            .count();
        assert_eq!(dongcheng_streets, 17);
    }
}
