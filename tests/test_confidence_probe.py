"""The confidence probe (evals/confidence_probe.py): figures of an answer's token log-probabilities."""
from evals.confidence_probe import auc, confidence, report


def test_markers_and_punctuation_carry_no_confidence():
    tokens = [("伦敦", -0.1), ("[", -2.0), ("1", -1.5), ("]", -0.9), ("。", -0.3), ("<|im_end|>", -5.0)]
    assert confidence(tokens) == {"mean": -0.1, "min": -0.1, "sum": -0.1}
    assert confidence([("[", -2.0), ("2", -1.0), ("]", -0.5)]) is None  # nothing but a marker


def test_the_area_under_the_curve_says_how_well_a_figure_separates():
    assert auc([-0.1, -0.2], [-0.9, -0.8]) == 1.0  # every right answer more confident
    assert auc([-0.9, -0.8], [-0.1, -0.2]) == 0.0
    assert auc([-0.5], [-0.5]) == 0.5  # a tie counts half
    assert auc([-0.1], []) is None


def test_the_report_counts_each_class_and_prints_each_figure():
    points = [("right", {"mean": -0.1, "min": -0.3, "sum": -0.5}), ("wrong", {"mean": -0.6, "min": -1.0, "sum": -3.0}),
              ("unanswerable", {"mean": -0.2, "min": -0.2, "sum": -0.4})]
    lines = report(points)
    assert lines[0] == "accepted answers: right 1, wrong 1, unanswerable 1"
    assert lines[1].startswith("mean  AUC right vs the rest 1.000")
    assert lines[3].startswith("sum   AUC right vs the rest 0.500")  # above the wrong one, below the unanswerable one
