"""The baseline a data scientist would reach for: TF-IDF over character 1-2-grams and a linear
SVM (scikit-learn), on the same split as the Rust bench (every fifth request of each category
held out). Prints accuracy and the time per request, one at a time as a server answers them."""

import csv
import sys
import time
from collections import defaultdict

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

rows = list(csv.reader(open(sys.argv[1], encoding="utf-8")))[1:]
seen = defaultdict(int)
train, held = [], []
for code, text in rows:
    seen[code] += 1
    (held if seen[code] % 5 == 0 else train).append((code, text))

started = time.perf_counter()
vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
x = vectorizer.fit_transform([t for _, t in train])
model = LinearSVC(C=1.0).fit(x, [c for c, _ in train])
training_ms = (time.perf_counter() - started) * 1e3

scores = model.decision_function(vectorizer.transform([t for _, t in held]))
ranked = np.argsort(-scores, axis=1)[:, :3]
labels = model.classes_
first = sum(labels[r[0]] == c for r, (c, _) in zip(ranked, held)) / len(held)
top3 = sum(c in labels[r] for r, (c, _) in zip(ranked, held)) / len(held)
top_level = sum(labels[r[0]][:2] == c[:2] for r, (c, _) in zip(ranked, held)) / len(held)

rounds = 20
started = time.perf_counter()
for _ in range(rounds):
    for _, text in held:
        model.decision_function(vectorizer.transform([text]))
per_request_us = (time.perf_counter() - started) * 1e6 / (rounds * len(held))
print(
    f"scikit-learn TF-IDF + linear SVM: top-level {top_level:.3f}, sub-category {first:.3f}, top-3 {top3:.3f}; "
    f"training {training_ms:.1f} ms; {per_request_us:.1f} µs per request"
)
