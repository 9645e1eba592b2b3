//! 议事: topics raised in a street, community or grid (by residents, by staff, or from cases),
//! moderated before residents' topics are published; proposals and comments on them; the
//! support that puts a proposal on the agenda of its space.

use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::text::trimmed;
use crate::{free_text, FieldError};

pub const TITLE_CHARS: usize = 80;
pub const BODY_CHARS: usize = 2000;
pub const COMMENT_CHARS: usize = 500;
pub const REASON_CHARS: usize = 200;
/// Supports that put a proposal on the agenda where its space set none.
pub const DEFAULT_THRESHOLD: u32 = 10;
/// The most a space may ask: more than a community's households would never be reached.
pub const MAX_THRESHOLD: u32 = 5000;

coded_enum! {
    /// Who raised a topic.
    Origin {
        Resident = "resident" / "居民提出" / "raised by a resident",
        Staff = "staff" / "居委会、网格员提出" / "raised by staff",
        Cases = "cases" / "由诉求转来" / "from reported cases",
    }
}

coded_enum! {
    /// Where a topic stands: a resident's waits for a moderator; staff's and cases' are
    /// published at once; any may be hidden with a reason.
    TopicState {
        Pending = "pending" / "待审核" / "awaiting moderation",
        Published = "published" / "已公开" / "published",
        Hidden = "hidden" / "已隐藏" / "hidden",
    }
}

coded_enum! {
    /// Who wrote something: never their name on a public page.
    AuthorKind {
        Resident = "resident" / "居民" / "a resident",
        Staff = "staff" / "工作人员" / "staff",
    }
}

impl Origin {
    /// The state a topic of this origin starts in.
    pub fn first_state(self) -> TopicState {
        match self {
            Self::Resident => TopicState::Pending,
            Self::Staff | Self::Cases => TopicState::Published,
        }
    }
}

/// Text that everyone will read: trimmed, required, at most `max` characters, and without a
/// phone, identity or bank card number or an e-mail address, which would be published with it.
pub fn public_text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let text = trimmed(value);
    if text.is_empty() || text.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("请填写（最多{max}个字符）"),
            format!("required, at most {max} characters"),
        ));
    }
    if !free_text::find(text).is_empty() {
        return Err(FieldError::new(
            field,
            "将公开显示，请勿填写电话、证件号、银行卡号或邮箱",
            "it is published: leave out phone, ID and card numbers and e-mail addresses",
        ));
    }
    Ok(text.to_string())
}

/// Why something is hidden: required, kept with the moderation.
pub fn hiding_reason(value: &str) -> Result<String, FieldError> {
    let reason = trimmed(value);
    if reason.is_empty() || reason.chars().count() > REASON_CHARS {
        return Err(FieldError::new(
            "reason",
            format!("隐藏须说明理由（最多{REASON_CHARS}个字符）"),
            format!("hiding needs a reason (at most {REASON_CHARS} characters)"),
        ));
    }
    Ok(reason.to_string())
}

/// A space's support threshold as staff set it.
pub fn check_threshold(threshold: i64) -> Result<u32, FieldError> {
    u32::try_from(threshold).ok().filter(|t| (1..=MAX_THRESHOLD).contains(t)).ok_or_else(|| {
        FieldError::new(
            "support_threshold",
            format!("应为1至{MAX_THRESHOLD}"),
            format!("between 1 and {MAX_THRESHOLD}"),
        )
    })
}

/// Whether a proposal with this many supports is on its space's agenda.
pub fn on_agenda(supports: u32, threshold: u32) -> bool {
    supports >= threshold
}

/// What a moderator does with a waiting or published topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderation {
    Publish,
    Hide { reason: String },
}

/// Whether a topic in `state` may be moderated so.
pub fn may_moderate(state: TopicState, moderation: &Moderation) -> Result<(), FieldError> {
    match (state, moderation) {
        (TopicState::Pending | TopicState::Hidden, Moderation::Publish)
        | (TopicState::Pending | TopicState::Published, Moderation::Hide { .. }) => Ok(()),
        (TopicState::Published, Moderation::Publish) => {
            Err(FieldError::new("action", "议题已公开", "the topic is already published"))
        }
        (TopicState::Hidden, Moderation::Hide { .. }) => {
            Err(FieldError::new("action", "议题已隐藏", "the topic is already hidden"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residents_topics_wait_and_others_do_not() {
        assert_eq!(Origin::Resident.first_state(), TopicState::Pending);
        assert_eq!(Origin::Staff.first_state(), TopicState::Published);
        assert_eq!(Origin::Cases.first_state(), TopicState::Published);
    }

    #[test]
    fn published_text_carries_nothing_personal() {
        assert_eq!(public_text("body", "  小区东门路灯不亮，建议更换  ", 100).unwrap(), "小区东门路灯不亮，建议更换");
        for bad in ["", "\u{200B}", "请联系13912345678", "邮箱 a@b.cn"] {
            assert_eq!(public_text("body", bad, 100).unwrap_err().field, "body", "{bad:?}");
        }
        assert!(public_text("title", &"长".repeat(TITLE_CHARS + 1), TITLE_CHARS).is_err());
    }

    #[test]
    fn hiding_needs_a_reason_and_moderation_follows_the_state() {
        assert_eq!(hiding_reason(" ").unwrap_err().field, "reason");
        let hide = Moderation::Hide { reason: "广告".into() };
        assert!(may_moderate(TopicState::Pending, &Moderation::Publish).is_ok());
        assert!(may_moderate(TopicState::Published, &hide).is_ok());
        assert!(may_moderate(TopicState::Hidden, &Moderation::Publish).is_ok(), "a hidden topic may come back");
        assert!(may_moderate(TopicState::Published, &Moderation::Publish).is_err());
        assert!(may_moderate(TopicState::Hidden, &hide).is_err());
    }

    #[test]
    fn the_threshold_is_reached_at_its_count() {
        assert!(!on_agenda(9, 10) && on_agenda(10, 10) && on_agenda(11, 10));
        assert_eq!(check_threshold(0).unwrap_err().field, "support_threshold");
        assert_eq!(check_threshold(i64::from(MAX_THRESHOLD) + 1).unwrap_err().field, "support_threshold");
        assert_eq!(check_threshold(25).unwrap(), 25);
    }
}
