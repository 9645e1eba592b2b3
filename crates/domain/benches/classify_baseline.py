"""The baseline a data scientist would reach for: TF-IDF over character 1-2-grams and a linear
SVM (scikit-learn), on the same data as the Rust bench: trained on four fifths of each category
of the corpus and tested on the fifth held out, then trained on the whole corpus and tested on
the independent requests. Prints accuracy and the time per request, one at a time as a server
answers them."""

import csv
import sys
import time
from collections import defaultdict

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC


def read(path):
    return [(code, text) for code, text in list(csv.reader(open(path, encoding="utf-8")))[1:]]


def fit(train):
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    x = vectorizer.fit_transform([t for _, t in train])
    return vectorizer, LinearSVC(C=1.0).fit(x, [c for c, _ in train])


def figures(vectorizer, model, test):
    scores = model.decision_function(vectorizer.transform([t for _, t in test]))
    ranked = np.argsort(-scores, axis=1)[:, :3]
    labels = model.classes_
    n = len(test)
    first = sum(labels[r[0]] == c for r, (c, _) in zip(ranked, test)) / n
    top3 = sum(c in labels[r] for r, (c, _) in zip(ranked, test)) / n
    level = sum(labels[r[0]][:2] == c[:2] for r, (c, _) in zip(ranked, test)) / n
    level3 = sum(any(labels[k][:2] == c[:2] for k in r) for r, (c, _) in zip(ranked, test)) / n
    return f"top-level {level:.3f} (top-3 {level3:.3f}), sub-category {first:.3f} (top-3 {top3:.3f})"


corpus = read(sys.argv[1])
independent = read(sys.argv[2])
seen = defaultdict(int)
train, held = [], []
for code, text in corpus:
    seen[code] += 1
    (held if seen[code] % 5 == 0 else train).append((code, text))

started = time.perf_counter()
vectorizer, model = fit(train)
training_ms = (time.perf_counter() - started) * 1e3
fifth = figures(vectorizer, model, held)

rounds = 20
started = time.perf_counter()
for _ in range(rounds):
    for _, text in held:
        model.decision_function(vectorizer.transform([text]))
per_request_us = (time.perf_counter() - started) * 1e6 / (rounds * len(held))

apart = figures(*fit(corpus), independent)
print("scikit-learn TF-IDF + linear SVM:")
print(f"  held-out fifth: {fifth}")
print(f"  independent:    {apart}")
print(f"  training {training_ms:.0f} ms; {per_request_us:.1f} µs per request")
