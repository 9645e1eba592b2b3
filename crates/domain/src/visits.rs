//! Household visits (入户走访): the purposes grid workers visit for most often, offered as
//! suggestions (a visit may state any purpose).

/// Common purposes of a visit, in Chinese and English.
pub const COMMON_PURPOSES: [(&str, &str); 7] = [
    ("独居老人探访", "Visiting an elderly person living alone"),
    ("政策宣传", "Explaining a policy"),
    ("矛盾纠纷排查", "Looking for disputes"),
    ("安全隐患排查", "Checking for hazards"),
    ("人口信息核实", "Checking household records"),
    ("困难群众帮扶", "Helping a household in difficulty"),
    ("征求意见建议", "Asking for views"),
];

/// The English of a purpose given in Chinese, where it is a common one.
pub fn purpose_in_english(zh: &str) -> Option<&'static str> {
    COMMON_PURPOSES.iter().find(|(z, _)| *z == zh).map(|(_, en)| *en)
}
