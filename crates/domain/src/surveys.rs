//! 问需、问效: questionnaires of a street, community or grid (what residents need), or asking how
//! a decision carried out or a unit's handling of cases went; their questions, the answers a
//! response may give, and the results counted.

use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::text::trimmed;
use crate::{free_text, FieldError};

pub const MOST_QUESTIONS: usize = 30;
pub const PROMPT_CHARS: usize = 120;
pub const OPTION_CHARS: usize = 40;
pub const MOST_OPTIONS: usize = 10;
pub const SCALE_MAX: u8 = 5;
pub const TEXT_CHARS: usize = 500;

coded_enum! {
    /// What a question asks for.
    QuestionKind {
        Single = "single" / "单选" / "single choice",
        Multiple = "multiple" / "多选" / "multiple choice",
        Scale = "scale" / "评分" / "a score of 1 to 5",
        Text = "text" / "文字" / "words",
    }
}

coded_enum! {
    /// Whether staff see who answered.
    Anonymity {
        Anonymous = "anonymous" / "匿名" / "anonymous",
        Identified = "identified" / "实名" / "identified",
    }
}

coded_enum! {
    /// What a survey asks: what residents need (问需), or how something went (问效).
    Purpose {
        Needs = "needs" / "问需" / "what is needed",
        Effect = "effect" / "问效" / "how it went",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub kind: QuestionKind,
    pub prompt: String,
    /// The choices of a single or multiple choice question.
    pub options: Vec<String>,
}

fn bad(line: usize, zh: &str, en: &str) -> FieldError {
    FieldError::new("questions", format!("第{line}行：{zh}"), format!("line {line}: {en}"))
}

/// Questions as staff write them, one a line: `单选|题目|选项一/选项二`, `多选|题目|…`,
/// `评分|题目` (1 to 5), `文字|题目`; the English kinds (`single`, …) are read too.
pub fn parse_questions(text: &str) -> Result<Vec<Question>, FieldError> {
    let mut questions = Vec::new();
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, trimmed(l))).filter(|(_, l)| !l.is_empty()) {
        let mut parts = line.splitn(3, ['|', '｜']).map(trimmed);
        let kind = parts
            .next()
            .and_then(QuestionKind::parse_code_or_label)
            .ok_or_else(|| bad(n, "题型应为 单选、多选、评分 或 文字", "a kind first: 单选, 多选, 评分 or 文字"))?;
        let prompt =
            parts.next().filter(|p| !p.is_empty()).ok_or_else(|| bad(n, "缺少题目", "the question is missing"))?;
        if prompt.chars().count() > PROMPT_CHARS || !free_text::find(prompt).is_empty() {
            return Err(bad(n, "题目过长或含个人信息", "the question is too long or holds personal data"));
        }
        let options: Vec<String> = match kind {
            QuestionKind::Single | QuestionKind::Multiple => parts
                .next()
                .unwrap_or_default()
                .split(['/', '／'])
                .map(trimmed)
                .filter(|o| !o.is_empty())
                .map(str::to_string)
                .collect(),
            QuestionKind::Scale | QuestionKind::Text => Vec::new(),
        };
        let choice = matches!(kind, QuestionKind::Single | QuestionKind::Multiple);
        if choice && !(2..=MOST_OPTIONS).contains(&options.len()) {
            return Err(bad(
                n,
                &format!("选择题应有2至{MOST_OPTIONS}个选项，用/分隔"),
                &format!("2 to {MOST_OPTIONS} choices, split by /"),
            ));
        }
        if options.iter().any(|o| o.chars().count() > OPTION_CHARS) {
            return Err(bad(n, "选项过长", "a choice is too long"));
        }
        questions.push(Question { kind, prompt: prompt.to_string(), options });
    }
    if questions.is_empty() || questions.len() > MOST_QUESTIONS {
        return Err(FieldError::new(
            "questions",
            format!("问卷应有1至{MOST_QUESTIONS}题"),
            format!("a survey has 1 to {MOST_QUESTIONS} questions"),
        ));
    }
    Ok(questions)
}

/// One question's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// Positions of the choices, from 0.
    Choice {
        chosen: Vec<u32>,
    },
    Scale {
        value: u8,
    },
    Text {
        text: String,
    },
    /// A text question left blank (the only kind that may be).
    Skipped,
}

/// The answers of one response, checked against the questions: each choice question answered
/// with its choices, each score 1 to 5, text at most 500 characters with personal numbers
/// masked (a text answer is read by staff), blank only for text.
pub fn check_answers(questions: &[Question], answers: &[Answer]) -> Result<Vec<Answer>, FieldError> {
    if answers.len() != questions.len() {
        return Err(FieldError::new("answers", "请回答每一题", "answer every question"));
    }
    let wrong = |n: usize, zh: &str, en: &str| {
        FieldError::new("answers", format!("第{n}题：{zh}"), format!("question {n}: {en}"))
    };
    questions
        .iter()
        .zip(answers)
        .enumerate()
        .map(|(i, (q, a))| {
            let n = i + 1;
            match (q.kind, a) {
                (QuestionKind::Single | QuestionKind::Multiple, Answer::Choice { chosen }) => {
                    let mut chosen = chosen.clone();
                    chosen.sort_unstable();
                    chosen.dedup();
                    let fits = chosen.iter().all(|&c| (c as usize) < q.options.len());
                    match (q.kind, chosen.len(), fits) {
                        (_, _, false) => Err(wrong(n, "选项不存在", "no such choice")),
                        (_, 0, _) => Err(wrong(n, "请选择", "choose")),
                        (QuestionKind::Single, 1, _) | (QuestionKind::Multiple, _, _) => Ok(Answer::Choice { chosen }),
                        _ => Err(wrong(n, "只能选一项", "choose one")),
                    }
                }
                (QuestionKind::Scale, Answer::Scale { value }) if (1..=SCALE_MAX).contains(value) => Ok(a.clone()),
                (QuestionKind::Scale, _) => Err(wrong(n, "请打1至5分", "score it 1 to 5")),
                (QuestionKind::Text, Answer::Skipped) => Ok(Answer::Skipped),
                (QuestionKind::Text, Answer::Text { text }) => {
                    let text = trimmed(text);
                    match (text.is_empty(), text.chars().count() > TEXT_CHARS) {
                        (true, _) => Ok(Answer::Skipped),
                        (false, true) => Err(wrong(
                            n,
                            &format!("最多{TEXT_CHARS}个字符"),
                            &format!("at most {TEXT_CHARS} characters"),
                        )),
                        (false, false) => {
                            Ok(Answer::Text { text: free_text::mask(text).unwrap_or_else(|| text.to_string()) })
                        }
                    }
                }
                (QuestionKind::Single | QuestionKind::Multiple | QuestionKind::Text, _) => {
                    Err(wrong(n, "答案与题型不符", "the answer does not fit the question"))
                }
            }
        })
        .collect()
}

/// One question's results.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuestionResult {
    /// Per choice, or per score 1 to 5.
    pub counts: Vec<u64>,
    /// Responses that answered it.
    pub answered: u64,
    /// The mean score of a scale.
    pub mean: Option<f64>,
    /// The text answers, for staff.
    pub texts: Vec<String>,
}

/// The responses counted, question by question.
pub fn results<'a>(questions: &[Question], responses: impl IntoIterator<Item = &'a [Answer]>) -> Vec<QuestionResult> {
    let mut out: Vec<QuestionResult> = questions
        .iter()
        .map(|q| QuestionResult {
            counts: vec![0; if q.kind == QuestionKind::Scale { SCALE_MAX as usize } else { q.options.len() }],
            ..QuestionResult::default()
        })
        .collect();
    for response in responses {
        for (r, a) in out.iter_mut().zip(response) {
            match a {
                Answer::Choice { chosen } => {
                    r.answered += 1;
                    for &c in chosen {
                        if let Some(n) = r.counts.get_mut(c as usize) {
                            *n += 1;
                        }
                    }
                }
                Answer::Scale { value } => {
                    r.answered += 1;
                    if let Some(n) = r.counts.get_mut(usize::from(*value).saturating_sub(1)) {
                        *n += 1;
                    }
                }
                Answer::Text { text } => {
                    r.answered += 1;
                    r.texts.push(text.clone());
                }
                Answer::Skipped => {}
            }
        }
    }
    for (r, q) in out.iter_mut().zip(questions) {
        if q.kind == QuestionKind::Scale && r.answered > 0 {
            let total: u64 = r.counts.iter().enumerate().map(|(i, n)| (i as u64 + 1) * n).sum();
            r.mean = Some(total as f64 / r.answered as f64);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "单选|您家有几位老人？|没有/一位/两位及以上\n多选|希望增加哪些服务？|助餐/助浴/日间照料\n评分|对社区服务打分\n文字|其他建议";

    #[test]
    fn questions_are_read_one_a_line() {
        let q = parse_questions(SAMPLE).unwrap();
        assert_eq!(
            q.iter().map(|q| q.kind).collect::<Vec<_>>(),
            [QuestionKind::Single, QuestionKind::Multiple, QuestionKind::Scale, QuestionKind::Text]
        );
        assert_eq!(q[1].options, ["助餐", "助浴", "日间照料"]);
        for bad in ["", "猜谜|题目", "单选|只有一个选项|是", "单选|", "文字|请拨13912345678"] {
            assert_eq!(parse_questions(bad).unwrap_err().field, "questions", "{bad:?}");
        }
    }

    #[test]
    fn answers_fit_their_questions() {
        let q = parse_questions(SAMPLE).unwrap();
        let ok = vec![
            Answer::Choice { chosen: vec![1] },
            Answer::Choice { chosen: vec![2, 0, 2] },
            Answer::Scale { value: 4 },
            Answer::Text { text: " 多装座椅，联系我13912345678 ".into() },
        ];
        let checked = check_answers(&q, &ok).unwrap();
        assert_eq!(checked[1], Answer::Choice { chosen: vec![0, 2] });
        assert!(
            matches!(&checked[3], Answer::Text { text } if !text.contains("13912345678")),
            "personal numbers masked"
        );
        let mut two = ok.clone();
        two[0] = Answer::Choice { chosen: vec![0, 1] };
        assert!(check_answers(&q, &two).is_err(), "one choice for a single choice");
        let mut zero = ok.clone();
        zero[2] = Answer::Scale { value: 0 };
        assert!(check_answers(&q, &zero).is_err());
        let mut skipped = ok.clone();
        skipped[0] = Answer::Skipped;
        assert!(check_answers(&q, &skipped).is_err(), "only text may be blank");
        assert!(check_answers(&q, &ok[..3]).is_err());
    }

    #[test]
    fn results_count_choices_scores_and_texts() {
        let q = parse_questions(SAMPLE).unwrap();
        let a = vec![
            Answer::Choice { chosen: vec![0] },
            Answer::Choice { chosen: vec![0, 1] },
            Answer::Scale { value: 5 },
            Answer::Skipped,
        ];
        let b = vec![
            Answer::Choice { chosen: vec![2] },
            Answer::Choice { chosen: vec![1] },
            Answer::Scale { value: 2 },
            Answer::Text { text: "好".into() },
        ];
        let r = results(&q, [a.as_slice(), b.as_slice()]);
        assert_eq!(r[0].counts, [1, 0, 1]);
        assert_eq!(r[1].counts, [1, 2, 0]);
        assert_eq!((r[2].counts.clone(), r[2].mean), (vec![0, 1, 0, 0, 1], Some(3.5)));
        assert_eq!((r[3].answered, r[3].texts.clone()), (1, vec!["好".to_string()]));
    }
}
