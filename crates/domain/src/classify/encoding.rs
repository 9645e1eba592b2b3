//! A trained model as bytes, to keep it in the store: a short header (categories, feature
//! names, temperature) as JSON, then the numbers as little-endian 32-bit floats.

use serde::{Deserialize, Serialize};

use super::Model;

const MAGIC: &[u8] = b"grassroots-classifier-1\n";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("not a classifier model of this version")]
    NotAModel,
    #[error("the model's header does not parse: {0}")]
    Header(String),
    #[error("the model holds {found} numbers where its header needs {expected}")]
    Size { expected: usize, found: usize },
}

#[derive(Serialize, Deserialize)]
struct Header {
    categories: Vec<String>,
    names: Vec<String>,
    temperature: f64,
}

impl Model {
    /// The model as bytes, for `decode`.
    pub fn encode(&self) -> Vec<u8> {
        let header =
            Header { categories: self.categories.clone(), names: self.names.clone(), temperature: self.temperature };
        // A struct of strings and a float always serialises.
        let header = serde_json::to_vec(&header).unwrap_or_default();
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + header.len() + 4 * (self.idf.len() + self.weights.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        for v in self.idf.iter().chain(&self.weights) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// A model from the bytes `encode` made.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(DecodeError::NotAModel)?;
        let (length, rest) = rest.split_first_chunk::<4>().ok_or(DecodeError::NotAModel)?;
        let length = u32::from_le_bytes(*length) as usize;
        if rest.len() < length {
            return Err(DecodeError::NotAModel);
        }
        let (header, numbers) = rest.split_at(length);
        let header: Header = serde_json::from_slice(header).map_err(|e| DecodeError::Header(e.to_string()))?;
        let (n, width) = (header.names.len(), header.categories.len());
        let expected = n + (n + 1) * width;
        let found = numbers.len() / 4;
        if numbers.len() % 4 != 0 || found != expected {
            return Err(DecodeError::Size { expected, found });
        }
        let mut floats = numbers.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        let idf: Vec<f32> = floats.by_ref().take(n).collect();
        let weights: Vec<f32> = floats.collect();
        let mean_weights = super::row_means(&weights, width);
        let vocabulary = header.names.iter().enumerate().map(|(i, name)| (name.clone(), i as u32)).collect();
        Ok(Self {
            categories: header.categories,
            vocabulary,
            names: header.names,
            idf,
            weights,
            mean_weights,
            temperature: header.temperature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{builtin_corpus, Model};
    use super::*;

    #[test]
    fn a_model_decodes_to_itself() {
        let model = Model::train(&builtin_corpus()[..300]);
        let bytes = model.encode();
        assert_eq!(Model::decode(&bytes), Ok(model));
    }

    #[test]
    fn damaged_bytes_are_refused() {
        let bytes = Model::train(&builtin_corpus()[..60]).encode();
        assert_eq!(Model::decode(b"hello"), Err(DecodeError::NotAModel));
        assert!(matches!(Model::decode(&bytes[..bytes.len() - 3]), Err(DecodeError::Size { .. })));
    }
}
