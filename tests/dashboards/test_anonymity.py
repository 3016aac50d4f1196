from dashboards.anonymity import suppressed_groups


def test_nothing_hidden_when_every_group_meets_threshold():
    assert suppressed_groups({"a": 5, "b": 7}, threshold=5) == set()


def test_single_small_group_hides_smallest_sibling_too():
    # a alone would be parent(16) - b(7) - c(6) = 3 by subtraction, so c goes too.
    assert suppressed_groups({"a": 3, "b": 7, "c": 6}, threshold=5) == {"a", "c"}


def test_two_small_groups_summing_below_threshold_hide_another():
    assert suppressed_groups({"a": 1, "b": 2, "c": 9, "d": 8}, threshold=5) == {"a", "b", "d"}


def test_two_small_groups_summing_to_threshold_are_enough():
    assert suppressed_groups({"a": 2, "b": 3, "c": 9}, threshold=5) == {"a", "b"}


def test_empty_groups_are_not_counted():
    assert suppressed_groups({"a": 0, "b": 9, "c": 8}, threshold=5) == set()


def test_everything_hidden_when_all_small():
    assert suppressed_groups({"a": 1, "b": 1}, threshold=5) == {"a", "b"}


def test_at_least_one_hides_the_smallest_group_when_none_is_small():
    """A parent hidden itself: its visible groups must not add up to it."""
    assert suppressed_groups({"a": 6, "b": 7, "c": 0}, threshold=5, at_least_one=True) == {"a"}
    assert suppressed_groups({"a": 3, "b": 7, "c": 6}, threshold=5, at_least_one=True) == {
        "a",
        "c",
    }
    assert suppressed_groups({"a": 0}, threshold=5, at_least_one=True) == set()
