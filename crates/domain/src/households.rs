//! A resident's household (居民-户): what a household's label may say and where a link between
//! a resident and a household stands. Households are the voters of most community votes, so a
//! link is confirmed by a grid worker who knows them.

use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::text::trimmed;
use crate::{free_text, FieldError};

/// The longest label a household may have (building, unit and door: 3号楼2单元401).
pub const LABEL_CHARS: usize = 40;

/// A household's label, as the resident writes it or the grid worker keeps it: where it is,
/// never who lives there.
pub fn check_label(label: &str) -> Result<String, FieldError> {
    let label = trimmed(label);
    if label.is_empty() || label.chars().count() > LABEL_CHARS {
        return Err(FieldError::new(
            "label",
            format!("请填写门牌（最多{LABEL_CHARS}个字符），如 3号楼2单元401"),
            format!("give the door (at most {LABEL_CHARS} characters), such as 3号楼2单元401"),
        ));
    }
    if !free_text::find(label).is_empty() {
        return Err(FieldError::new(
            "label",
            "门牌只写地址，不写电话或证件号",
            "a door is an address: no phone or ID numbers",
        ));
    }
    Ok(label.to_string())
}

coded_enum! {
    /// Where a resident's link to a household stands: asked by the resident and waiting for a
    /// grid worker of the community; confirmed (the resident votes for this household); or
    /// refused, with a reason the resident reads.
    LinkState {
        Requested = "requested" / "待网格员确认" / "waiting for the grid worker",
        Confirmed = "confirmed" / "已确认" / "confirmed",
        Refused = "refused" / "未通过" / "refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_doors_not_people() {
        assert_eq!(check_label("  3号楼2单元401 ").unwrap(), "3号楼2单元401");
        for bad in ["", " \u{200B} ", &"门".repeat(LABEL_CHARS + 1), "3号楼401 13912345678"] {
            assert_eq!(check_label(bad).unwrap_err().field, "label", "{bad:?}");
        }
    }

    #[test]
    fn states_read_back() {
        for s in LinkState::ALL {
            assert_eq!(LinkState::parse(s.as_str()), Some(*s));
        }
        assert_eq!(LinkState::parse("maybe"), None);
    }
}
