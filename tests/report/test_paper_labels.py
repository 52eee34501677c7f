"""Paper figure labels: the recipe names the kind of figure it draws, the manifest's tags say which panel a file
is; the label parser and formatter round-trip the paper's notation."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from sselab.report.sections import label_of, panels, paper_labels


@pytest.mark.parametrize("label, want", [
    ("Fig. 2c,d", {"2c", "2d"}), ("Fig. 3b–f", {"3b", "3c", "3d", "3e", "3f"}), ("ESI Fig. 17", {"ESI17"}),
    ("Fig. 1f", {"1f"}), ("1e", {"1e"}), ("ESI2", {"ESI2"}), ("Fig. 5a,c", {"5a", "5c"}), (None, set()),
])
def test_panels(label, want):
    assert panels(label) == want


@pytest.mark.parametrize("tags, want", [
    ({"3b", "3c", "3d", "3e", "3f"}, "Fig. 3b–f"), ({"2c", "2d"}, "Fig. 2c,d"), ({"ESI17"}, "ESI Fig. 17"),
    ({"1e"}, "Fig. 1e"), ({"5a", "1d"}, "Fig. 1d; Fig. 5a"), (set(), None),
])
def test_label_of(tags, want):
    assert label_of(tags) == want
    if want:
        assert panels(want) == set(tags)


def _fo(label):
    return SimpleNamespace(paper_figure=label)


def test_recipe_label_restricted_to_the_files_tags():
    # a full cell's two figures (profiles "Fig. 5a,c", capacity "Fig. 5b,d"): the LiFePO4 cell's files are 5c, 5d
    assert paper_labels([_fo("Fig. 5a,c"), _fo("Fig. 5b,d")], ("5c", "5d"), True, True) == ["Fig. 5c", "Fig. 5d"]
    # one labelled figure whose kind names another panel: the manifest says which (an Au-cell DC polarisation)
    assert paper_labels([_fo("Fig. 2c,d")], ("ESI2",), True, True) == ["ESI Fig. 2"]
    # a figure the recipe does not label stays unlabelled, tags or not
    assert paper_labels([_fo(None), _fo("Fig. 3a")], ("3a",), True, True) == [None, "Fig. 3a"]
    # files of a tagging manifest that carry no tag are not the paper's; files outside any manifest keep the kind
    assert paper_labels([_fo("Fig. 3a")], (), True, True) == [None]
    assert paper_labels([_fo("Fig. 4a")], (), False, True) == ["Fig. 4a"]
