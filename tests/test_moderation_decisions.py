"""Decisions a moderator would sign: what a classifier alone may do, self_harm, categories by
source, and shadow mode through the engine, the API and the CLI."""

import json
from pathlib import Path

import httpx
import pytest

from assistant.moderation.engine import Moderator
from assistant.moderation.policy import CARE_REPLY, Policy
from assistant.services import Services
from tests.conftest import make_settings, run_cli
from tests.fixed_model import FixedScores

PLAIN = "今天的作业我交了"
CONTACT = "加 薇 信 abc_2026x 私聊领取"
SUPERLATIVES = "全网最低价，销量第一，效果最好没有之一"
CRISIS = "真的不想活了，今晚就结束吧"
SHADOW_POLICY = "mode: shadow\n"


def test_a_classifier_alone_asks_for_review_and_never_deletes() -> None:
    verdict = Moderator(Policy(), {"classifier": FixedScores(risky=0.99, fraud=0.99)}).moderate(PLAIN)
    assert verdict.categories == ["fraud"] and verdict.severity == "high"
    assert verdict.action == "review"


def test_a_calibrated_delete_threshold_lets_a_confident_classifier_delete() -> None:
    policy = Policy(model_delete_thresholds={"fraud": 0.95})
    confident = Moderator(policy, {"classifier": FixedScores(risky=0.99, fraud=0.99)}).moderate(PLAIN)
    unsure = Moderator(policy, {"classifier": FixedScores(risky=0.9, fraud=0.9)}).moderate(PLAIN)
    assert confident.action == "delete_and_warn"
    assert unsure.risky and unsure.action == "review"


def test_rule_evidence_still_deletes() -> None:
    verdict = Moderator(Policy(), {"classifier": FixedScores(risky=0.01, fraud=0.01)}).moderate(CONTACT)
    assert "spam_ads" in verdict.categories and verdict.action in {"delete", "delete_and_warn"}


def test_a_classifier_spill_into_a_second_category_needs_a_strong_score() -> None:
    """The classifier's likeliest category stands; a neighbour it spills into needs SECOND_CATEGORY."""
    spill = Moderator(Policy(), {"classifier": FixedScores(risky=0.95, violence=0.9, abuse=0.7)}).moderate(PLAIN)
    both = Moderator(Policy(), {"classifier": FixedScores(risky=0.95, violence=0.9, abuse=0.85)}).moderate(PLAIN)
    assert spill.categories == ["violence"]
    assert both.categories == ["violence", "abuse"]


def test_the_contact_of_a_sexual_services_ad_is_not_a_second_harm() -> None:
    """An ad for sex, drugs or weapons is judged by what it sells; a scam's contact stays spam_ads too."""
    moderator = Moderator(Policy(), {"classifier": FixedScores(risky=0.99, spam_ads=0.99, fraud=0.99)})
    sold = moderator.moderate("同城约炮，上门服务，加微信私聊")
    scam = moderator.moderate("刷单返利日结，加微信私聊")
    assert "sexual" in sold.categories and "spam_ads" not in sold.categories
    assert {"fraud", "spam_ads"} <= set(scam.categories)


def test_self_harm_is_never_deleted_and_gets_the_care_reply() -> None:
    policy = Policy(category_actions={"self_harm": "delete_and_warn"}, actions={"high": "delete_and_warn"})
    verdict = Moderator(policy, {}).moderate(CRISIS)
    assert "self_harm" in verdict.categories
    assert verdict.action == "review" and verdict.reply == CARE_REPLY
    assert Moderator(Policy(), {}).moderate(PLAIN).reply is None


def test_ad_law_is_ignored_for_a_member_and_applied_to_a_draft() -> None:
    moderator = Moderator(Policy(), {})
    member, draft = moderator.moderate(SUPERLATIVES), moderator.moderate(SUPERLATIVES, source="draft")
    assert "ad_law" not in member.categories and member.source == "member"
    assert "ad_law" in draft.categories and draft.action != "allow" and draft.source == "draft"
    assert "ad_law" in moderator.moderate(SUPERLATIVES, source="staff").categories


def test_shadow_mode_allows_reports_what_it_would_do_and_logs_it(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    (tmp_path / "moderation").mkdir(parents=True)
    (tmp_path / "moderation" / "quiet.yaml").write_text(SHADOW_POLICY, encoding="utf-8")
    verdicts = Services(settings).moderation.moderate_many([CONTACT, PLAIN], "quiet")
    assert [v.action for v in verdicts] == ["allow", "allow"]
    assert verdicts[0].shadow_action in {"delete", "delete_and_warn"} and verdicts[1].shadow_action == "allow"
    logged = [
        json.loads(line) for line in (tmp_path / "moderation" / "shadow" / "quiet.jsonl").read_text().splitlines()
    ]
    assert [(row["text"], row["shadow_action"]) for row in logged] == [(CONTACT, verdicts[0].shadow_action)]


def test_an_enforcing_policy_has_no_shadow_action() -> None:
    assert Moderator(Policy(), {}).moderate(CONTACT).shadow_action is None


def test_shadow_mode_and_source_through_the_api(api_url: str, api_data_dir: Path) -> None:
    (api_data_dir / "moderation").mkdir(exist_ok=True)
    (api_data_dir / "moderation" / "shadowclub.yaml").write_text(SHADOW_POLICY, encoding="utf-8")
    body = httpx.post(f"{api_url}/v1/moderations", json={"input": [CONTACT], "community": "shadowclub"}).json()
    verdict = body["results"][0]
    assert verdict["action"] == "allow" and verdict["shadow_action"] in {"delete", "delete_and_warn"}
    assert (api_data_dir / "moderation" / "shadow" / "shadowclub.jsonl").exists()
    member = httpx.post(f"{api_url}/v1/moderations", json={"input": SUPERLATIVES}).json()["results"][0]
    draft = httpx.post(f"{api_url}/v1/moderations", json={"input": SUPERLATIVES, "source": "draft"}).json()
    assert "ad_law" not in member["categories"] and "ad_law" in draft["results"][0]["categories"]
    bad = httpx.post(f"{api_url}/v1/moderations", json={"input": "hi", "source": "robot"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"


def test_shadow_mode_and_source_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "moderation").mkdir(parents=True)
    (tmp_path / "moderation" / "quiet.yaml").write_text(SHADOW_POLICY, encoding="utf-8")
    one = json.loads(run_cli("moderate", CONTACT, "-c", "quiet", data_dir=tmp_path).stdout)
    assert one["action"] == "allow" and one["shadow_action"] in {"delete", "delete_and_warn"}
    draft = json.loads(run_cli("moderate", SUPERLATIVES, "--source", "draft", data_dir=tmp_path).stdout)
    assert "ad_law" in draft["categories"]
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"text": SUPERLATIVES}, {"text": SUPERLATIVES, "source": "draft"}, {"text": CONTACT, "community": "quiet"},
            {"text": PLAIN, "source": "robot"}]  # fmt: skip
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = run_cli("moderate", "--input", str(src), "--output", str(dst), data_dir=tmp_path)
    lines = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert "ad_law" not in lines[0]["verdict"]["categories"] and "ad_law" in lines[1]["verdict"]["categories"]
    assert lines[2]["verdict"]["action"] == "allow" and lines[2]["verdict"]["shadow_action"] != "allow"
    assert "source" in lines[3]["error"] and out.returncode in {0, 1}
    bad = run_cli("moderate", PLAIN, "--source", "robot", data_dir=tmp_path)
    assert bad.returncode == 2 and "--source" in json.loads(bad.stdout)["error"]


@pytest.mark.parametrize("field", ["model_delete_thresholds", "thresholds"])
def test_policy_names_only_known_categories(field: str) -> None:
    with pytest.raises(ValueError, match="unknown categories"):
        Policy(**{field: {"spam": 0.9}})
    with pytest.raises(ValueError, match="unknown categories"):
        Policy(ignored_by_source={"member": ["spam"]})
