#include "kda/daemon/claim_match.h"

#include <gtest/gtest.h>

namespace kda::daemon {
namespace {

Device record(std::string imei, std::string serial, std::string meid = "", std::string mac = "") {
  Device d;
  d.imei = std::move(imei);
  d.serial = std::move(serial);
  d.meid = std::move(meid);
  d.wifi_mac = std::move(mac);
  return d;
}

v1::DeviceIdentity claim(std::vector<std::string> imeis, std::string serial) {
  v1::DeviceIdentity c;
  for (auto& i : imeis) c.add_imei(i);
  c.set_serial(std::move(serial));
  return c;
}

TEST(ClaimMatch, NoCandidateIsUnknown) {
  EXPECT_EQ(match_claim(claim({"490154203237518"}, ""), {}, {}).kind, ClaimMatch::Kind::unknown);
}

TEST(ClaimMatch, AgreeingIdentifiersMatch) {
  const auto m = match_claim(claim({"490154203237518"}, "r58m12345ab"), {record("490154203237518", "R58M12345AB")},
                             {"490154203237518"});
  EXPECT_EQ(m.kind, ClaimMatch::Kind::device);  // serials in any case
  // What the record lacks, or the claim leaves out, is not a contradiction.
  EXPECT_EQ(match_claim(claim({}, "R58M12345AB"), {record("490154203237518", "R58M12345AB")}, {"k"}).kind,
            ClaimMatch::Kind::device);
  EXPECT_EQ(match_claim(claim({"490154203237518"}, "ANY"), {record("490154203237518", "")}, {"k"}).kind,
            ClaimMatch::Kind::device);
}

TEST(ClaimMatch, UnknownImeiWithAKnownSerialIsAContradiction) {
  const auto m = match_claim(claim({"356938035643809"}, "R58M12345AB"), {record("490154203237518", "R58M12345AB")},
                             {"490154203237518"});
  EXPECT_EQ(m.kind, ClaimMatch::Kind::conflict);
  EXPECT_EQ(m.why, "the claim contradicts the record of 490154203237518: claims IMEI 356938035643809, which is not on "
                   "record");
}

TEST(ClaimMatch, DualSimEitherImeiMatches) {
  Device d = record("356938035643809", "R58M99999ZZ");
  d.imei2 = "356938035643817";
  EXPECT_EQ(match_claim(claim({"356938035643817"}, "R58M99999ZZ"), {d}, {"k"}).kind, ClaimMatch::Kind::device);
  EXPECT_EQ(match_claim(claim({"356938035643809", "356938035643817"}, ""), {d}, {"k"}).kind, ClaimMatch::Kind::device);
}

TEST(ClaimMatch, OtherIdentifiersMustAgree) {
  v1::DeviceIdentity c = claim({}, "S1");
  c.set_meid("A10000009296F3");
  EXPECT_EQ(match_claim(c, {record("", "S1", "A10000009296F2")}, {"S1"}).kind, ClaimMatch::Kind::conflict);
  c.set_meid("a10000009296f2");
  EXPECT_EQ(match_claim(c, {record("", "S1", "A10000009296F2")}, {"S1"}).kind, ClaimMatch::Kind::device);
  c.set_wifi_mac("02:00:5E:10:00:02");
  EXPECT_EQ(match_claim(c, {record("", "S1", "A10000009296F2", "02:00:5e:10:00:01")}, {"S1"}).kind,
            ClaimMatch::Kind::conflict);
}

TEST(ClaimMatch, TwoDevicesAreAConflict) {
  const auto m = match_claim(claim({"490154203237518"}, "TAB-A8-0003"),
                             {record("490154203237518", "R58M12345AB"), record("", "TAB-A8-0003")},
                             {"490154203237518", "TAB-A8-0003"});
  EXPECT_EQ(m.kind, ClaimMatch::Kind::conflict);
  EXPECT_EQ(m.why, "the claim's identifiers name two devices (490154203237518 and TAB-A8-0003)");
}

}  // namespace
}  // namespace kda::daemon
