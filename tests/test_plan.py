"""The ingest plan: a pure diff of what was found against what the index holds, checked on hand-made inputs."""

from __future__ import annotations

import dataclasses

import pytest

from kb.ingest.plan import Found, Plan, plan

ROOT = "/docs"
OTHER_ROOT = "/elsewhere"


def _found(doc_id: str, digest: str | None, root: str = ROOT, problem: str = "") -> Found:
    return Found(doc_id, f"{root}/{doc_id}", root, digest, problem)


def test_a_new_file_is_added_with_nothing_to_reuse():
    result = plan([_found("new.md", "h1")], known={}, walked_roots={ROOT})
    assert result.add == ("new.md",) and result.update == () and result.unchanged == ()
    assert [f.doc_id for f in result.prepare] == ["new.md"]
    assert result.reuse == {} and result.remove == () and result.failures == ()


def test_a_changed_file_is_updated_and_may_reuse_its_own_stored_vectors():
    result = plan([_found("guide.md", "new-hash")], known={"guide.md": ("old-hash", ROOT)}, walked_roots={ROOT})
    assert result.update == ("guide.md",) and result.add == ()
    assert result.reuse == {"guide.md": "guide.md"}


def test_an_unchanged_file_is_left_alone():
    result = plan([_found("guide.md", "h1")], known={"guide.md": ("h1", ROOT)}, walked_roots={ROOT})
    assert result.unchanged == ("guide.md",)
    assert result.prepare == () and result.add == () and result.update == () and result.remove == ()


def test_a_file_gone_from_a_walked_folder_is_removed_but_not_one_from_a_folder_not_walked():
    known = {"kept.md": ("h1", ROOT), "gone.md": ("h2", ROOT), "b.md": ("h3", OTHER_ROOT), "a.md": ("h4", ROOT)}
    result = plan([_found("kept.md", "h1")], known=known, walked_roots={ROOT})
    assert result.remove == ("a.md", "gone.md")  # sorted; b.md's folder was not part of this run
    assert result.unchanged == ("kept.md",)


@pytest.mark.parametrize("new_id", ["guides/moved.md", "renamed.md"])
def test_a_moved_or_renamed_file_reuses_the_vectors_of_the_removed_one_with_the_same_content(new_id):
    known = {"old.md": ("same-content", ROOT), "other.md": ("other-content", ROOT)}
    result = plan([_found(new_id, "same-content"), _found("other.md", "other-content")], known=known, walked_roots={ROOT})
    assert result.add == (new_id,) and result.remove == ("old.md",)
    assert result.reuse == {new_id: "old.md"}


def test_a_new_file_that_matches_no_removed_content_reuses_nothing():
    known = {"kept.md": ("same-content", ROOT)}  # same digest, but not removed: it is still there
    result = plan([_found("kept.md", "same-content"), _found("copy.md", "same-content")], known=known, walked_roots={ROOT})
    assert result.add == ("copy.md",) and result.unchanged == ("kept.md",) and result.reuse == {}


def test_a_second_file_with_an_id_already_seen_is_a_failure_and_the_first_wins():
    first = Found("guide.md", "/a/guide.md", "/a", "h1")
    second = Found("guide.md", "/b/guide.md", "/b", "h2")
    result = plan([first, second], known={}, walked_roots={"/a", "/b"})
    assert result.prepare == (first,)
    assert [(f.path, f.code) for f in result.failures] == [("/b/guide.md", "duplicate_id")]
    assert "guide.md" in result.failures[0].reason


def test_an_unreadable_file_is_reported_and_keeps_its_stored_version():
    known = {"locked.md": ("h1", ROOT)}
    result = plan([_found("locked.md", None, problem="PermissionError: denied")], known=known, walked_roots={ROOT})
    assert [(f.code, f.reason) for f in result.failures] == [("unreadable", "PermissionError: denied")]
    assert result.unreadable == result.failures
    assert result.remove == () and result.prepare == () and result.unchanged == ()


def test_failures_keep_the_order_the_files_were_found_in():
    found = [_found("a.md", None, problem="gone"), _found("b.md", "h"), Found("b.md", "/x/b.md", ROOT, "h"),
             _found("c.md", None, problem="locked")]
    result = plan(found, known={}, walked_roots={ROOT})
    assert [f.code for f in result.failures] == ["unreadable", "duplicate_id", "unreadable"]


def test_a_new_chunker_prepares_every_document_again_and_reuses_no_vector():
    known = {"same.md": ("h1", ROOT), "changed.md": ("old", ROOT), "old.md": ("moved", ROOT)}
    found = [_found("same.md", "h1"), _found("changed.md", "new"), _found("moved.md", "moved")]
    result = plan(found, known=known, walked_roots={ROOT}, chunker_changed=True)
    assert [f.doc_id for f in result.prepare] == ["same.md", "changed.md", "moved.md"]
    assert result.update == ("same.md", "changed.md") and result.add == ("moved.md",)
    assert result.unchanged == () and result.remove == ("old.md",) and result.reuse == {}


def test_the_plan_is_a_frozen_record():
    result = plan([_found("a.md", "h")], known={}, walked_roots={ROOT})
    assert isinstance(result, Plan)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.add = ()  # type: ignore[misc]
