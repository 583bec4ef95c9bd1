"""Per-community policy files: defaults without a file, the file's values with one, and an
edit applies to the next call without a restart."""

from pathlib import Path

import pytest

from assistant.communities import Communities
from assistant.config_files import ConfigFileError
from assistant.moderation.policy import Policy
from tests.conftest import make_settings


def _registry(data_dir: Path) -> Communities:
    return Communities(make_settings(data_dir))


def load_policy(data_dir: Path, community: str | None) -> Policy:
    return _registry(data_dir).moderation_policy(community)


def policy_path(data_dir: Path, community: str) -> Path:
    return _registry(data_dir).path("moderation", community, ".yaml")


def load_answering_policy(data_dir: Path, community: str | None):  # type: ignore[no-untyped-def]
    return _registry(data_dir).answering_policy(community)


def answering_policy_path(data_dir: Path, community: str) -> Path:
    return _registry(data_dir).path("answering", community, ".yaml")


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
    with pytest.raises(ConfigFileError, match="clarify_threshold must not exceed answer_threshold"):
        load_answering_policy(tmp_path, "club")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("threshold: [0.7\n", "not readable as UTF-8 YAML"),
        ("- just\n- a list\n", "must be a mapping of settings, not list"),
        ("threshold: 2\nthreshhold: 0.3\n", "threshold: Input should be less than or equal to 1"),
    ],
)
def test_a_broken_policy_file_names_itself_and_every_reason(tmp_path: Path, text: str, reason: str) -> None:
    path = policy_path(tmp_path, "club")
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_policy(tmp_path, "club")
    assert caught.value.path == path and reason in caught.value.reasons[0]
    if "threshhold" in text:
        assert caught.value.reasons[1].startswith("threshhold: Extra inputs are not permitted")
