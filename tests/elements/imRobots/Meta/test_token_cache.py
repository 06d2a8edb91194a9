"""The app token both Types cache: one fetch for concurrent callers, renewed before it expires by
each platform's margin, fetched again after the platform refused it."""
from __future__ import annotations

import asyncio

from element_studio.elements.imRobots.Meta.token_cache import TokenCache
from element_studio.elements.imRobots.dingTalkStreamType import openapi as dingtalk
from element_studio.elements.imRobots.feishuType import openapi as feishu


def test_the_token_is_fetched_once_for_concurrent_callers_and_renewed_five_minutes_before_dingtalk_expires_it():
    now, issued = [0.0], []

    async def fetch():
        await asyncio.sleep(0.01)
        issued.append(f"token{len(issued)}")
        return issued[-1], 7200

    async def scenario():
        token = TokenCache(fetch, dingtalk.TOKEN_MARGIN, dingtalk.TOKEN_SHARE, clock=lambda: now[0])
        assert await asyncio.gather(*(token.get() for _ in range(20))) == ["token0"] * 20
        now[0] = 7200 - 301  # still more than the 300 s margin before DingTalk's expiry
        assert await token.get() == "token0"
        now[0] = 7200 - 299  # inside the margin: renewed before it expires
        assert await token.get() == "token1"
        token.forget("token0")  # a stale refusal does not drop the newer token
        assert await token.get() == "token1"
        token.forget("token1")
        assert await token.get() == "token2"

    asyncio.run(scenario())


def test_the_tenant_token_is_renewed_ten_minutes_before_it_expires_or_at_nine_tenths_of_a_short_life():
    now, fetched = [0.0], []

    async def fetch():
        fetched.append(now[0])
        return f"t-{len(fetched)}", 7200 if len(fetched) == 1 else 300

    async def scenario():
        token = TokenCache(fetch, feishu.TOKEN_MARGIN, feishu.TOKEN_SHARE, clock=lambda: now[0])
        assert await token.get() == "t-1"
        now[0] = 6599
        assert await token.get() == "t-1"
        now[0] = 6600
        assert await token.get() == "t-2"  # 10 minutes before the 2 h expiry
        now[0] = 6600 + 269
        assert await token.get() == "t-2"
        token.forget("t-2")  # Feishu refused it
        assert await token.get() == "t-3"

    asyncio.run(scenario())
    assert fetched == [0, 6600, 6869]
