import os

import numpy as np
import pytest

import nnmath as nm
from nnmath import metrics

# Three classes, six samples; truth and predictions chosen so every quantity is hand-countable:
# truth 0 0 1 1 2 2 / predicted 0 1 1 1 2 0
TRUE = [0, 0, 1, 1, 2, 2]
PRED = [0, 1, 1, 1, 2, 0]


def test_confusion_matrix_counts_truth_rows_prediction_columns():
    c = metrics.confusion_matrix(nm.tensor(PRED), nm.tensor(TRUE))
    assert c.dtype == nm.int64
    assert c.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]


def test_scores_are_reduced_by_argmax():
    scores = np.eye(3, dtype=np.float32)[PRED] + 0.1
    assert metrics.accuracy(nm.tensor(scores), nm.tensor(TRUE)) == pytest.approx(4 / 6)


def test_precision_recall_f1_by_hand():
    stats = metrics.precision_recall_f1(metrics.confusion_matrix(PRED, TRUE))
    np.testing.assert_allclose(stats["precision"], [1 / 2, 2 / 3, 1.0])
    np.testing.assert_allclose(stats["recall"], [1 / 2, 1.0, 1 / 2])
    np.testing.assert_allclose(stats["f1"], [1 / 2, 0.8, 2 / 3])
    assert stats["support"].tolist() == [2, 2, 2]


def test_never_predicted_class_has_zero_precision_not_nan():
    stats = metrics.precision_recall_f1(metrics.confusion_matrix([0, 0], [0, 1], num_classes=3))
    assert np.isfinite(stats["precision"]).all() and stats["precision"][2] == 0


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="3 predictions but 2 targets"):
        metrics.accuracy([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="outside \\[0, 2\\)"):
        metrics.confusion_matrix([0, 2], [0, 1], num_classes=2)


def test_text_table_lists_every_class():
    text = metrics.format_confusion_matrix(metrics.confusion_matrix(PRED, TRUE), ["a", "b", "c"])
    assert text.count("\n") == 3 and "precision" in text


def test_png_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    path = metrics.plot_confusion_matrix(metrics.confusion_matrix(PRED, TRUE), tmp_path / "cm.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_png_gets_the_permissions_of_an_ordinary_new_file(tmp_path):
    pytest.importorskip("matplotlib")
    path = metrics.plot_confusion_matrix(metrics.confusion_matrix(PRED, TRUE), tmp_path / "cm.png")
    (tmp_path / "plain").write_bytes(b"")  # what open() gives under this process's umask
    assert os.stat(path).st_mode & 0o777 == os.stat(tmp_path / "plain").st_mode & 0o777
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cm.png", "plain"]  # no temporary file left
