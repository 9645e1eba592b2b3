//! A request turned into the index's query: the words or, failing them, the pairs of
//! characters of the text; the tracking number; then the scope and filters, which narrow
//! without scoring.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use grassroots_domain::{CaseState, RegionCode, Scope};
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::snippet::SnippetGenerator;
use tantivy::{Searcher, Term};

use crate::tokens::{pairs, Words};
use crate::{scope_terms, Fields, Marked, Ranking, Result};

/// What to look for, within what, in which order.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    pub text: &'a str,
    /// The searcher's scope: nothing outside it is found.
    pub scope: &'a Scope,
    /// Any of these states (none: every state).
    pub states: &'a [CaseState],
    /// A category or a top-level category's code.
    pub category: Option<&'a str>,
    pub region: Option<&'a RegionCode>,
    /// Cases dispatched to this unit, as lead or co-handler.
    pub unit: Option<&'a str>,
    pub received_from: Option<DateTime<Utc>>,
    pub received_before: Option<DateTime<Utc>>,
    pub ranking: Ranking,
    pub offset: usize,
    pub limit: usize,
}

/// A word's weight against a pair's: a match of the words the dictionary knows ranks above
/// one found only by pairs of characters.
const WORDS_BOOST: f32 = 2.0;

pub(crate) fn build(request: &SearchRequest<'_>, fields: &Fields, words: &Words) -> Box<dyn Query> {
    let all_of = |terms: Vec<Term>| -> Option<Box<dyn Query>> {
        (!terms.is_empty()).then(|| {
            Box::new(BooleanQuery::new(
                terms
                    .into_iter()
                    .map(|t| (Occur::Must, Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)) as Box<dyn Query>))
                    .collect(),
            )) as Box<dyn Query>
        })
    };
    let word_terms = words.of_query(request.text).iter().map(|w| Term::from_field_text(fields.words, w)).collect();
    let pair_terms = {
        let mut texts: Vec<String> = pairs(request.text).into_iter().map(|t| t.text).collect();
        texts.sort();
        texts.dedup();
        texts.iter().map(|p| Term::from_field_text(fields.pairs, p)).collect()
    };
    let mut text: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(q) = all_of(word_terms) {
        text.push((Occur::Should, Box::new(BoostQuery::new(q, WORDS_BOOST))));
    }
    if let Some(q) = all_of(pair_terms) {
        text.push((Occur::Should, q));
    }
    let code = request.text.trim().to_uppercase();
    text.push((
        Occur::Should,
        Box::new(TermQuery::new(Term::from_field_text(fields.tracking_no, &code), IndexRecordOption::Basic)),
    ));
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(text)))];
    clauses.extend(filters(request, fields).into_iter().map(|q| (Occur::Must, unscored(q))));
    Box::new(BooleanQuery::new(clauses))
}

fn unscored(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, 0.0))
}

fn any_of(terms: Vec<Term>) -> Box<dyn Query> {
    Box::new(TermSetQuery::new(terms))
}

fn filters(request: &SearchRequest<'_>, fields: &Fields) -> Vec<Box<dyn Query>> {
    let mut filters = Vec::new();
    if let Some(terms) = scope_terms(request.scope, fields) {
        filters.push(any_of(terms));
    }
    if !request.states.is_empty() {
        filters.push(any_of(request.states.iter().map(|s| Term::from_field_text(fields.state, s.as_str())).collect()));
    }
    if let Some(category) = request.category {
        filters.push(any_of(vec![Term::from_field_text(fields.categories, category)]));
    }
    if let Some(region) = request.region {
        filters.push(any_of(vec![Term::from_field_text(fields.areas, region.as_str())]));
    }
    if let Some(unit) = request.unit {
        filters.push(any_of(vec![Term::from_field_text(fields.units, unit)]));
    }
    if request.received_from.is_some() || request.received_before.is_some() {
        let bound = |at: Option<DateTime<Utc>>, inclusive: bool| match at {
            None => Bound::Unbounded,
            Some(at) if inclusive => Bound::Included(Term::from_field_i64(fields.received, at.timestamp_millis())),
            Some(at) => Bound::Excluded(Term::from_field_i64(fields.received, at.timestamp_millis())),
        };
        filters
            .push(Box::new(RangeQuery::new(bound(request.received_from, true), bound(request.received_before, false))));
    }
    filters
}

/// Marks what matched in a hit's text: the words, or where none matched, the pairs.
pub(crate) struct Passages {
    words: SnippetGenerator,
    pairs: SnippetGenerator,
}

/// How long a passage is, in bytes of text.
const PASSAGE_BYTES: usize = 240;

impl Passages {
    pub(crate) fn new(searcher: &Searcher, query: &dyn Query, fields: &Fields) -> Result<Self> {
        let mut words = SnippetGenerator::create(searcher, query, fields.words)?;
        let mut pairs = SnippetGenerator::create(searcher, query, fields.pairs)?;
        words.set_max_num_chars(PASSAGE_BYTES);
        pairs.set_max_num_chars(PASSAGE_BYTES);
        Ok(Self { words, pairs })
    }

    pub(crate) fn mark(&self, text: &str) -> Vec<Marked> {
        let mut snippet = self.words.snippet(text);
        if snippet.highlighted().is_empty() {
            snippet = self.pairs.snippet(text);
        }
        if snippet.fragment().is_empty() {
            let end = text.char_indices().map(|(i, _)| i).find(|i| *i >= PASSAGE_BYTES / 2).unwrap_or(text.len());
            return vec![Marked { text: text[..end].to_string(), hit: false }];
        }
        marked(snippet.fragment(), snippet.highlighted())
    }
}

/// A fragment cut at its marks, overlapping marks (pairs of characters) joined. A mark that
/// does not lie within the fragment on character boundaries is left out: the snippet's marks
/// of a token cut off at the fragment's edge can fall outside it.
fn marked(fragment: &str, marks: &[std::ops::Range<usize>]) -> Vec<Marked> {
    let within = |r: &std::ops::Range<usize>| {
        r.start < r.end
            && r.end <= fragment.len()
            && fragment.is_char_boundary(r.start)
            && fragment.is_char_boundary(r.end)
    };
    let mut ranges: Vec<std::ops::Range<usize>> = marks.iter().filter(|r| within(r)).cloned().collect();
    ranges.sort_by_key(|r| r.start);
    let mut joined: Vec<std::ops::Range<usize>> = Vec::new();
    for range in ranges {
        match joined.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => joined.push(range),
        }
    }
    let mut pieces = Vec::new();
    let mut at = 0;
    for range in joined {
        if range.start > at {
            pieces.push(Marked { text: fragment[at..range.start].to_string(), hit: false });
        }
        pieces.push(Marked { text: fragment[range.clone()].to_string(), hit: true });
        at = range.end;
    }
    if at < fragment.len() {
        pieces.push(Marked { text: fragment[at..].to_string(), hit: false });
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_marks_are_joined() {
        let text = "和平里小区";
        let pieces = marked(text, &[0..6, 3..9]);
        assert_eq!(pieces, [Marked { text: "和平里".into(), hit: true }, Marked { text: "小区".into(), hit: false }]);
    }

    #[test]
    fn marks_outside_the_fragment_or_inside_a_character_are_left_out() {
        let text = "和平里小区";
        let wrapped = 0usize.wrapping_sub(3);
        let pieces = marked(text, &[3..wrapped, 1..6, 12..15, 9..9, 9..12]);
        let hit = |text: &str, hit: bool| Marked { text: text.into(), hit };
        assert_eq!(pieces, [hit("和平里", false), hit("小区", true)]);
    }
}
