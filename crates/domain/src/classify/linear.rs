//! A linear support vector machine for one category against the rest: L2-regularised,
//! squared hinge loss, solved in the dual by coordinate descent (Hsieh et al., "A dual
//! coordinate descent method for large-scale linear SVM", ICML 2008; the method of
//! LIBLINEAR and of scikit-learn's LinearSVC).

/// A text as the solver sees it: (feature index, weight) pairs, the last one the constant
/// feature that carries the bias.
pub(crate) type Sparse = [(u32, f32)];

/// Stops when the projected gradients of a pass span less than this (LIBLINEAR's default).
const TOLERANCE: f64 = 0.1;
const MAX_PASSES: usize = 200;

/// A small deterministic generator for the order of each pass: the same examples always give
/// the same model.
struct Shuffle(u64);

impl Shuffle {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn permute(&mut self, order: &mut [usize]) {
        for i in (1..order.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            order.swap(i, j);
        }
    }
}

fn dot(w: &[f64], x: &Sparse) -> f64 {
    x.iter().map(|&(f, v)| w[f as usize] * f64::from(v)).sum()
}

/// The weights (one per feature, the bias last) separating the examples marked `true` from
/// the rest, with regularisation constant `c`.
pub(crate) fn one_against_rest(texts: &[Vec<(u32, f32)>], positive: &[bool], dimensions: usize, c: f64) -> Vec<f64> {
    let diagonal = 0.5 / c;
    let mut w = vec![0.0f64; dimensions];
    let mut alpha = vec![0.0f64; texts.len()];
    let squared: Vec<f64> =
        texts.iter().map(|x| x.iter().map(|&(_, v)| f64::from(v) * f64::from(v)).sum::<f64>() + diagonal).collect();
    let mut order: Vec<usize> = (0..texts.len()).collect();
    let mut shuffle = Shuffle(0x9E37_79B9_7F4A_7C15);
    for _ in 0..MAX_PASSES {
        shuffle.permute(&mut order);
        let (mut highest, mut lowest) = (f64::NEG_INFINITY, f64::INFINITY);
        for &i in &order {
            let y = if positive[i] { 1.0 } else { -1.0 };
            let gradient = y * dot(&w, &texts[i]) - 1.0 + diagonal * alpha[i];
            let projected = if alpha[i] == 0.0 { gradient.min(0.0) } else { gradient };
            highest = highest.max(projected);
            lowest = lowest.min(projected);
            if projected.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - gradient / squared[i]).max(0.0);
                let step = (alpha[i] - old) * y;
                for &(f, v) in &texts[i] {
                    w[f as usize] += step * f64::from(v);
                }
            }
        }
        if highest - lowest <= TOLERANCE {
            break;
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_examples_are_separated() {
        // Feature 0 marks the positives, feature 1 the negatives, feature 2 is the bias.
        let texts = vec![
            vec![(0, 1.0), (2, 1.0)],
            vec![(0, 0.8), (2, 1.0)],
            vec![(1, 1.0), (2, 1.0)],
            vec![(1, 0.9), (2, 1.0)],
        ];
        let positive = [true, true, false, false];
        let w = one_against_rest(&texts, &positive, 3, 1.0);
        for (x, p) in texts.iter().zip(positive) {
            assert_eq!(dot(&w, x) > 0.0, p, "{w:?}");
        }
        assert!(w[0] > 0.0 && w[1] < 0.0, "{w:?}");
    }

    #[test]
    fn the_same_examples_give_the_same_weights() {
        let texts: Vec<Vec<(u32, f32)>> = (0..40).map(|i| vec![(i % 7, 1.0), (7, 1.0)]).collect();
        let positive: Vec<bool> = (0..40).map(|i| i % 7 < 3).collect();
        assert_eq!(one_against_rest(&texts, &positive, 8, 1.0), one_against_rest(&texts, &positive, 8, 1.0));
    }
}
