#include <catch2/catch.hpp>

#include "steps/token_renewal.h"
#include "util/errors.h"

using namespace rotator;
using namespace rotator::steps;
using rotator::formats::TokenState;
using namespace std::chrono_literals;

namespace {

const util::TimePoint now = *util::parse_rfc3339("2026-03-01T12:00:00Z");

SlotToken token(const std::string& id, std::optional<TokenState> state, std::chrono::milliseconds expires_in = 20h) {
  return {id, state, now + expires_in};
}

RenewalInput base() {
  RenewalInput in;
  in.now = now;
  in.settings = {24h, 8h, 1h};
  return in;
}

RenewalAction next(const RenewalInput& in) {
  return decide_renewal(in).action;
}

}  // namespace

TEST_CASE("renewal: a valid token far from expiry needs nothing", "[tokens][renewal]") {
  auto in = base();
  in.current = token("cur", TokenState::active, 9h);
  CHECK(next(in) == RenewalAction::none);
  in.current->expires_at.reset();  // never expires
  CHECK(next(in) == RenewalAction::none);
}

TEST_CASE("renewal: a new token is staged when the Secret's token is missing, near expiry, expired, revoked or unknown",
          "[tokens][renewal]") {
  auto in = base();
  CHECK(next(in) == RenewalAction::stage_new_token);  // no Secret, no key
  in.current = token("cur", TokenState::active, 8h);
  CHECK(next(in) == RenewalAction::stage_new_token);  // exactly at the renew-before edge
  CHECK_THAT(decide_renewal(in).reason, Catch::Contains("within 8h"));
  in.current = token("cur", TokenState::expired, -1h);
  CHECK(next(in) == RenewalAction::stage_new_token);
  in.current = token("cur", TokenState::revoked);
  CHECK(next(in) == RenewalAction::stage_new_token);
  in.current = token("cur", std::nullopt);
  CHECK(next(in) == RenewalAction::stage_new_token);
}

TEST_CASE("renewal: data that is not a management token is refused unless forced", "[tokens][renewal]") {
  auto in = base();
  in.current_unreadable = true;
  CHECK(next(in) == RenewalAction::refuse);
  in.force = Force::yes;
  CHECK(next(in) == RenewalAction::stage_new_token);
}

TEST_CASE("renewal: a staged token is registered, then promoted (what a rerun after a kill does)",
          "[tokens][renewal]") {
  auto in = base();
  in.current = token("old", TokenState::active, 2h);
  in.pending = token("new", std::nullopt, 24h);
  CHECK(next(in) == RenewalAction::register_pending);
  in.pending->state = TokenState::active;
  CHECK(next(in) == RenewalAction::promote_pending);
  // A staged token someone revoked (or that expired while nobody ran) is dropped.
  in.pending->state = TokenState::revoked;
  CHECK(next(in) == RenewalAction::discard_pending);
  in.pending = SlotToken{};  // unreadable staging
  CHECK(next(in) == RenewalAction::discard_pending);
}

TEST_CASE("renewal: the replaced token is revoked after the grace, then forgotten", "[tokens][renewal]") {
  auto in = base();
  in.current = token("new", TokenState::active, 24h);
  in.previous = token("old", TokenState::active, 2h);
  in.previous_revoke_after = now + 1s;
  CHECK(next(in) == RenewalAction::none);  // still in its grace
  in.previous_revoke_after = now;
  CHECK(next(in) == RenewalAction::revoke_previous);
  in.previous_revoke_after.reset();  // unreadable time: revoke rather than keep it forever
  CHECK(next(in) == RenewalAction::revoke_previous);
  in.previous->state = TokenState::revoked;
  CHECK(next(in) == RenewalAction::forget_previous);
  in.previous->state = std::nullopt;  // not in the registry at all
  CHECK(next(in) == RenewalAction::forget_previous);
  in.previous->state = TokenState::expired;
  CHECK(next(in) == RenewalAction::forget_previous);
}

TEST_CASE("renewal: never more than one replaced token alive besides the current one", "[tokens][renewal]") {
  // A renewal during the grace of the previous one: the older token goes first.
  auto in = base();
  in.current = token("second", TokenState::active, 1h);
  in.previous = token("first", TokenState::active, 30min);
  in.previous_revoke_after = now + 30min;
  in.pending = token("third", TokenState::active, 24h);
  CHECK(next(in) == RenewalAction::revoke_previous);
  CHECK_THAT(decide_renewal(in).reason, Catch::Contains("before its grace ends"));
  in.previous->state = TokenState::revoked;
  CHECK(next(in) == RenewalAction::promote_pending);
  // When the current token is dead anyway, promoting does not add a live one.
  in.previous->state = TokenState::active;
  in.current->state = TokenState::expired;
  CHECK(next(in) == RenewalAction::promote_pending);
}

TEST_CASE("renewal: every state walked step by step converges to none", "[tokens][renewal]") {
  // Simulates the executor on plain data: each action applied as the cluster would.
  auto in = base();
  in.current = token("old", TokenState::active, 2h);
  std::vector<RenewalAction> taken;
  for (int i = 0; i < 10; ++i) {
    const auto action = next(in);
    if (action == RenewalAction::none) break;
    taken.push_back(action);
    switch (action) {
      case RenewalAction::stage_new_token: in.pending = token("new", std::nullopt, 24h); break;
      case RenewalAction::register_pending: in.pending->state = TokenState::active; break;
      case RenewalAction::promote_pending:
        in.previous = in.current;
        in.previous_revoke_after = in.now;  // --grace 0
        in.current = in.pending;
        in.pending.reset();
        break;
      case RenewalAction::revoke_previous: in.previous->state = TokenState::revoked; break;
      case RenewalAction::forget_previous: in.previous.reset(); break;
      default: FAIL("unexpected action " << action_name(action));
    }
  }
  CHECK(taken == std::vector<RenewalAction>{RenewalAction::stage_new_token, RenewalAction::register_pending,
                                            RenewalAction::promote_pending, RenewalAction::revoke_previous,
                                            RenewalAction::forget_previous});
  CHECK(in.current->id == "new");
  CHECK(next(in) == RenewalAction::none);
}

TEST_CASE("renewal: settings are checked", "[tokens][renewal]") {
  CHECK_NOTHROW(validate(RenewalSettings{24h, 8h, 1h}));
  CHECK_NOTHROW(validate(RenewalSettings{24h, 8h, 0h}));
  CHECK_THROWS_AS(validate(RenewalSettings{8h, 8h, 1h}), UsageError);
  CHECK_THROWS_AS(validate(RenewalSettings{0h, 0h, 1h}), UsageError);
  CHECK_THROWS_AS(validate(RenewalSettings{24h, 8h, -1h}), UsageError);
}
