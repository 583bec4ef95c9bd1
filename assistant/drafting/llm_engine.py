"""The LLM engine: the community's tone and its retrieved scripts (fenced, as examples) in,
a structured post out. Unusable output raises ``LLMUnavailable``; the service then drafts
offline and labels the result ``llm→offline``."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from assistant.drafting.models import Brief, Composed, Plan
from assistant.knowledge.models import CommunityProfile, Script
from assistant.llm.base import ChatModel, LLMUnavailable
from assistant.prompts import Prompt


class DraftOutput(BaseModel):
    """The model's post and the ids of the scripts it drew on."""

    text: str = Field(description="The post, ready to send.")
    scripts: list[str] = Field(default_factory=list, description="Ids of the example scripts used.")


def render_scripts(scripts: Sequence[Script]) -> str:
    return "\n\n".join(f"[id: {s.id}] {s.title}\n{s.body}" for s in scripts) or "（无）"


def draft(
    model: ChatModel, prompt: Prompt, profile: CommunityProfile, brief: Brief, theme: str, plan: Plan,
    scripts: Sequence[Script], facts: Sequence[str],
) -> Composed:  # fmt: skip
    messages = prompt.render(
        community=profile.name, tone=profile.tone, kind=brief.kind, date=brief.date.isoformat(), theme=theme,
        must_include="、".join(brief.must_include) or "（无）", must_avoid="、".join(brief.must_avoid) or "（无）",
        brief=brief.brief or "（无）", scripts=render_scripts(scripts), facts="\n".join(facts) or "（无）",
        max_chars=str(plan.max_chars),
    )  # fmt: skip
    output = model.complete(messages, DraftOutput)
    if not output.text.strip():
        raise LLMUnavailable("the model returned an empty post")
    shown = {s.id for s in scripts}
    cited = [s for s in dict.fromkeys(output.scripts) if s in shown]
    if not cited:
        raise LLMUnavailable(f"the post cites no script it was shown (cited {sorted(output.scripts) or 'nothing'})")
    return Composed(text=output.text.strip(), scripts=cited, engine="llm", prompt_version=prompt.ref)
