"""Per-community policy files: defaults without a file, the file's values with one, and an
edit applies to the next call without a restart."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.answering.policy import answering_policy_path, load_answering_policy
from assistant.moderation.policy import load_policy, policy_path


def test_policies_default_without_a_file(tmp_path: Path) -> None:
    assert load_policy(tmp_path, "club").threshold == 0.5
    assert load_policy(tmp_path, None).threshold == 0.5
    assert load_answering_policy(tmp_path, "club").answer_threshold == pytest.approx(0.54)


def test_an_edited_policy_applies_to_the_next_call(tmp_path: Path) -> None:
    path = policy_path(tmp_path, "club")
    path.parent.mkdir(parents=True)
    path.write_text("threshold: 0.7\nallow: [QQ音乐]\n", encoding="utf-8")
    assert load_policy(tmp_path, "club").threshold == 0.7
    assert load_policy(tmp_path, "club") is load_policy(tmp_path, "club")  # parsed once
    path.write_text("threshold: 0.65\n", encoding="utf-8")
    assert load_policy(tmp_path, "club").threshold == 0.65
    path.unlink()
    assert load_policy(tmp_path, "club").threshold == 0.5


def test_answering_policy_file_is_validated(tmp_path: Path) -> None:
    path = answering_policy_path(tmp_path, "club")
    path.parent.mkdir(parents=True)
    path.write_text("answer_threshold: 0.6\nclarify_threshold: 0.5\n", encoding="utf-8")
    assert load_answering_policy(tmp_path, "club").answer_threshold == 0.6
    path.write_text("answer_threshold: 0.4\nclarify_threshold: 0.5\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="clarify_threshold must not exceed answer_threshold"):
        load_answering_policy(tmp_path, "club")
