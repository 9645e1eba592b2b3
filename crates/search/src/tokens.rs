//! How text is cut for the index: words as jieba cuts them, with the store's place names in
//! its dictionary, and pairs of neighbouring characters beside them, which find a name the
//! dictionary does not know (a compound's own name, a shop, a person's nickname).

use std::sync::Arc;

use jieba_rs::{Jieba, TokenizeMode};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Words, cut in jieba's search mode: a long word and the shorter words inside it, so that a
/// query for either finds it.
#[derive(Clone)]
pub struct Words {
    jieba: Arc<Jieba>,
}

/// Suffixes that people often leave off a place's name (东华门街道 → 东华门).
const PLACE_SUFFIXES: [&str; 6] = ["街道办事处", "街道", "社区", "地区", "居委会", "网格"];

impl Words {
    /// Jieba's dictionary with `names` added, each also without its suffix.
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        let mut jieba = Jieba::new();
        for name in names {
            let name = name.trim();
            if name.chars().count() < 2 {
                continue;
            }
            jieba.add_word(name, None, Some("ns"));
            if let Some(stem) = PLACE_SUFFIXES.iter().find_map(|s| name.strip_suffix(s)) {
                if stem.chars().count() >= 2 {
                    jieba.add_word(stem, None, Some("ns"));
                }
            }
        }
        Self { jieba: Arc::new(jieba) }
    }

    /// The words of a query, each once: cut plainly (no word inside another), since the
    /// index holds both the long words and the short ones.
    pub fn of_query(&self, text: &str) -> Vec<String> {
        let mut words: Vec<String> =
            self.jieba.cut(text, true).into_iter().filter(|w| is_word(w)).map(str::to_lowercase).collect();
        words.sort();
        words.dedup();
        words
    }
}

impl Tokenizer for Words {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        let tokens = self
            .jieba
            .tokenize(text, TokenizeMode::Search, true)
            .into_iter()
            .filter(|t| is_word(t.word))
            .map(|t| Token {
                offset_from: starts[t.start],
                offset_to: starts[t.end],
                position: t.start,
                text: t.word.to_lowercase(),
                position_length: t.end - t.start,
            })
            .collect();
        Tokens::new(tokens)
    }
}

/// Pairs of neighbouring letters within a run of them (a lone letter stands for itself), so
/// that any two or more letters of a text, taken in order, find it.
#[derive(Clone, Default)]
pub struct Pairs;

impl Tokenizer for Pairs {
    type TokenStream<'a> = Tokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Tokens {
        Tokens::new(pairs(text))
    }
}

/// The pairs of a text, as [`Pairs`] cuts it.
pub fn pairs(text: &str) -> Vec<Token> {
    let letters: Vec<(usize, char)> = text.char_indices().collect();
    let mut tokens = Vec::new();
    let mut run_start = 0;
    for i in 0..=letters.len() {
        let in_run = letters.get(i).is_some_and(|(_, c)| c.is_alphanumeric());
        if in_run {
            continue;
        }
        let run = &letters[run_start..i];
        let end_of = |k: usize| letters.get(k).map_or(text.len(), |(b, _)| *b);
        match run.len() {
            0 => {}
            1 => tokens.push(token(text, run[0].0, end_of(run_start + 1), run_start)),
            _ => {
                for k in 0..run.len() - 1 {
                    let at = run_start + k;
                    tokens.push(token(text, letters[at].0, end_of(at + 2), at));
                }
            }
        }
        run_start = i + 1;
    }
    tokens
}

fn token(text: &str, from: usize, to: usize, position: usize) -> Token {
    Token { offset_from: from, offset_to: to, position, text: text[from..to].to_lowercase(), position_length: 1 }
}

/// A word worth indexing: it holds a letter or a digit (not punctuation or space).
fn is_word(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric)
}

/// The tokens of one text, handed to the index one by one.
pub struct Tokens {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokens {
    fn new(tokens: Vec<Token>) -> Self {
        Self { tokens, next: 0 }
    }
}

impl TokenStream for Tokens {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn pairs_cover_every_run_of_letters_and_skip_punctuation() {
        let tokens = pairs("和平里，3号楼A座");
        assert_eq!(texts(&tokens), ["和平", "平里", "3号", "号楼", "楼a", "a座"]);
        assert_eq!(&"和平里，3号楼A座"[tokens[1].offset_from..tokens[1].offset_to], "平里");
        assert_eq!(texts(&pairs("灯 坏")), ["灯", "坏"], "a lone letter stands for itself");
        assert!(pairs("，。！").is_empty());
    }

    #[test]
    fn place_names_added_to_the_dictionary_are_cut_whole() {
        let plain = Words::new(Vec::<String>::new());
        let words = Words::new(["北新桥街道".to_string(), "九道湾社区".to_string()]);
        assert!(!plain.of_query("九道湾的井盖").contains(&"九道湾".to_string()));
        assert!(words.of_query("九道湾的井盖").contains(&"九道湾".to_string()), "the name without 社区");
        assert!(words.of_query("北新桥街道路灯").contains(&"北新桥街道".to_string()));
    }

    #[test]
    fn search_mode_indexes_the_short_words_inside_a_long_one() {
        let mut words = Words::new(Vec::<String>::new());
        let mut stream = words.token_stream("中华人民共和国");
        let mut seen = Vec::new();
        while stream.advance() {
            seen.push(stream.token().text.clone());
        }
        assert!(seen.contains(&"中华人民共和国".to_string()) && seen.contains(&"共和国".to_string()), "{seen:?}");
    }
}
