// SPDX-License-Identifier: LGPL-2.1-or-later
/* State, reason, event and detail names, as virsh prints them. */
#include "kselftest_harness.h"
#include "libkestrel.h"

TEST(state_names_are_virsh_domstate)
{
	EXPECT_STREQ("no state", kestrel_state_name(KESTREL_STATE_NOSTATE));
	EXPECT_STREQ("running", kestrel_state_name(KESTREL_STATE_RUNNING));
	EXPECT_STREQ("idle", kestrel_state_name(KESTREL_STATE_BLOCKED));
	EXPECT_STREQ("paused", kestrel_state_name(KESTREL_STATE_PAUSED));
	EXPECT_STREQ("in shutdown", kestrel_state_name(KESTREL_STATE_SHUTDOWN));
	EXPECT_STREQ("shut off", kestrel_state_name(KESTREL_STATE_SHUTOFF));
	EXPECT_STREQ("crashed", kestrel_state_name(KESTREL_STATE_CRASHED));
	/* VIR_DOMAIN_PMSUSPENDED, not in the uapi but in libvirt's numbering */
	EXPECT_STREQ("pmsuspended", kestrel_state_name((enum kestrel_dom_state)7));
}

TEST(unknown_states_are_no_state)
{
	EXPECT_STREQ("no state", kestrel_state_name((enum kestrel_dom_state)8));
	EXPECT_STREQ("no state", kestrel_state_name((enum kestrel_dom_state)-1));
	EXPECT_STREQ("no state", kestrel_state_name((enum kestrel_dom_state)1000));
}

TEST(every_uapi_reason_has_its_virsh_word)
{
	EXPECT_STREQ("unknown", kestrel_state_reason_name(KESTREL_STATE_RUNNING,
							  KESTREL_RUNNING_UNKNOWN));
	EXPECT_STREQ("booted", kestrel_state_reason_name(KESTREL_STATE_RUNNING,
							 KESTREL_RUNNING_BOOTED));
	EXPECT_STREQ("unpaused", kestrel_state_reason_name(KESTREL_STATE_RUNNING,
							   KESTREL_RUNNING_UNPAUSED));
	EXPECT_STREQ("unknown", kestrel_state_reason_name(KESTREL_STATE_PAUSED,
							  KESTREL_PAUSED_UNKNOWN));
	EXPECT_STREQ("user", kestrel_state_reason_name(KESTREL_STATE_PAUSED,
						       KESTREL_PAUSED_USER));
	EXPECT_STREQ("unknown", kestrel_state_reason_name(KESTREL_STATE_SHUTOFF,
							  KESTREL_SHUTOFF_UNKNOWN));
	EXPECT_STREQ("shutdown", kestrel_state_reason_name(KESTREL_STATE_SHUTOFF,
							   KESTREL_SHUTOFF_SHUTDOWN));
	EXPECT_STREQ("destroyed", kestrel_state_reason_name(KESTREL_STATE_SHUTOFF,
							    KESTREL_SHUTOFF_DESTROYED));
	EXPECT_STREQ("crashed", kestrel_state_reason_name(KESTREL_STATE_SHUTOFF,
							  KESTREL_SHUTOFF_CRASHED));
	EXPECT_STREQ("failed", kestrel_state_reason_name(KESTREL_STATE_SHUTOFF,
							 KESTREL_SHUTOFF_FAILED));
	EXPECT_STREQ("unknown", kestrel_state_reason_name(KESTREL_STATE_CRASHED,
							  KESTREL_CRASHED_UNKNOWN));
	EXPECT_STREQ("panicked", kestrel_state_reason_name(KESTREL_STATE_CRASHED,
							   KESTREL_CRASHED_PANICKED));
	EXPECT_STREQ("unknown", kestrel_state_reason_name(KESTREL_STATE_BLOCKED, 0));
	EXPECT_STREQ("unknown", kestrel_state_reason_name(KESTREL_STATE_NOSTATE, 0));
}

TEST(libvirt_reasons_beyond_the_uapi)
{
	EXPECT_STREQ("migrated", kestrel_state_reason_name(KESTREL_STATE_RUNNING, 2));
	EXPECT_STREQ("from snapshot", kestrel_state_reason_name(KESTREL_STATE_RUNNING, 4));
	EXPECT_STREQ("migration canceled", kestrel_state_reason_name(KESTREL_STATE_RUNNING, 6));
	EXPECT_STREQ("event wakeup", kestrel_state_reason_name(KESTREL_STATE_RUNNING, 8));
	EXPECT_STREQ("post-copy failed", kestrel_state_reason_name(KESTREL_STATE_RUNNING, 11));
	EXPECT_STREQ("I/O error", kestrel_state_reason_name(KESTREL_STATE_PAUSED, 5));
	EXPECT_STREQ("starting up", kestrel_state_reason_name(KESTREL_STATE_PAUSED, 11));
	EXPECT_STREQ("post-copy failed", kestrel_state_reason_name(KESTREL_STATE_PAUSED, 13));
	EXPECT_STREQ("user", kestrel_state_reason_name(KESTREL_STATE_SHUTDOWN, 1));
	EXPECT_STREQ("saved", kestrel_state_reason_name(KESTREL_STATE_SHUTOFF, 5));
	EXPECT_STREQ("daemon", kestrel_state_reason_name(KESTREL_STATE_SHUTOFF, 8));
}

TEST(unknown_reasons_are_unknown)
{
	EXPECT_STREQ("unknown", kestrel_state_reason_name(KESTREL_STATE_RUNNING, 12));
	EXPECT_STREQ("unknown", kestrel_state_reason_name(KESTREL_STATE_CRASHED, 2));
	EXPECT_STREQ("unknown", kestrel_state_reason_name(KESTREL_STATE_SHUTOFF, 0xffffffff));
	EXPECT_STREQ("unknown", kestrel_state_reason_name(KESTREL_STATE_BLOCKED, 1));
	EXPECT_STREQ("unknown", kestrel_state_reason_name((enum kestrel_dom_state)9, 0));
	EXPECT_STREQ("unknown", kestrel_state_reason_name((enum kestrel_dom_state)-1, 1));
}

TEST(reason_words_are_unique_per_state)
{
	enum kestrel_dom_state s;
	uint32_t i, j;

	for (s = KESTREL_STATE_NOSTATE; s <= KESTREL_STATE_CRASHED; s++) {
		/* Index 0 is "unknown"; the rest are distinct real words. */
		for (i = 1; i < 32; i++) {
			const char *a = kestrel_state_reason_name(s, i);

			ASSERT_NE(NULL, a);
			if (!strcmp(a, "unknown"))
				break;
			for (j = 0; j < i; j++)
				EXPECT_STRNE(a, kestrel_state_reason_name(s, j));
		}
	}
}

TEST(event_names_are_virsh_event)
{
	EXPECT_STREQ("Defined", kestrel_event_name(KESTREL_EVENT_DEFINED));
	EXPECT_STREQ("Undefined", kestrel_event_name(KESTREL_EVENT_UNDEFINED));
	EXPECT_STREQ("Started", kestrel_event_name(KESTREL_EVENT_STARTED));
	EXPECT_STREQ("Suspended", kestrel_event_name(KESTREL_EVENT_SUSPENDED));
	EXPECT_STREQ("Resumed", kestrel_event_name(KESTREL_EVENT_RESUMED));
	EXPECT_STREQ("Stopped", kestrel_event_name(KESTREL_EVENT_STOPPED));
	EXPECT_STREQ("Shutdown", kestrel_event_name(KESTREL_EVENT_SHUTDOWN));
	EXPECT_STREQ("PMSuspended", kestrel_event_name(KESTREL_EVENT_PMSUSPENDED));
	EXPECT_STREQ("Crashed", kestrel_event_name(KESTREL_EVENT_CRASHED));
	EXPECT_STREQ("unknown", kestrel_event_name((enum kestrel_event)9));
	EXPECT_STREQ("unknown", kestrel_event_name((enum kestrel_event)-1));
}

TEST(every_uapi_event_detail_has_its_virsh_word)
{
	EXPECT_STREQ("Added", kestrel_event_detail_name(KESTREL_EVENT_DEFINED,
							KESTREL_EVENT_DEFINED_ADDED));
	EXPECT_STREQ("Booted", kestrel_event_detail_name(KESTREL_EVENT_STARTED,
							 KESTREL_EVENT_STARTED_BOOTED));
	EXPECT_STREQ("Paused", kestrel_event_detail_name(KESTREL_EVENT_SUSPENDED,
							 KESTREL_EVENT_SUSPENDED_PAUSED));
	EXPECT_STREQ("Unpaused", kestrel_event_detail_name(KESTREL_EVENT_RESUMED,
							   KESTREL_EVENT_RESUMED_UNPAUSED));
	EXPECT_STREQ("Shutdown", kestrel_event_detail_name(KESTREL_EVENT_STOPPED,
							   KESTREL_EVENT_STOPPED_SHUTDOWN));
	EXPECT_STREQ("Destroyed", kestrel_event_detail_name(KESTREL_EVENT_STOPPED,
							    KESTREL_EVENT_STOPPED_DESTROYED));
	EXPECT_STREQ("Crashed", kestrel_event_detail_name(KESTREL_EVENT_STOPPED,
							  KESTREL_EVENT_STOPPED_CRASHED));
	EXPECT_STREQ("Failed", kestrel_event_detail_name(KESTREL_EVENT_STOPPED,
							 KESTREL_EVENT_STOPPED_FAILED));
	EXPECT_STREQ("Panicked", kestrel_event_detail_name(KESTREL_EVENT_CRASHED,
							   KESTREL_EVENT_CRASHED_PANICKED));
}

TEST(libvirt_event_details_beyond_the_uapi)
{
	EXPECT_STREQ("Renamed", kestrel_event_detail_name(KESTREL_EVENT_DEFINED, 2));
	EXPECT_STREQ("Removed", kestrel_event_detail_name(KESTREL_EVENT_UNDEFINED, 0));
	EXPECT_STREQ("Event wakeup", kestrel_event_detail_name(KESTREL_EVENT_STARTED, 4));
	EXPECT_STREQ("I/O Error", kestrel_event_detail_name(KESTREL_EVENT_SUSPENDED, 2));
	EXPECT_STREQ("Post-copy Error", kestrel_event_detail_name(KESTREL_EVENT_RESUMED, 4));
	EXPECT_STREQ("Snapshot", kestrel_event_detail_name(KESTREL_EVENT_STOPPED, 6));
	EXPECT_STREQ("Finished", kestrel_event_detail_name(KESTREL_EVENT_SHUTDOWN, 0));
	EXPECT_STREQ("Finished after guest request",
		     kestrel_event_detail_name(KESTREL_EVENT_SHUTDOWN, 1));
	EXPECT_STREQ("Finished after host request",
		     kestrel_event_detail_name(KESTREL_EVENT_SHUTDOWN, 2));
	EXPECT_STREQ("Disk", kestrel_event_detail_name(KESTREL_EVENT_PMSUSPENDED, 1));
	EXPECT_STREQ("Crashloaded", kestrel_event_detail_name(KESTREL_EVENT_CRASHED, 1));
}

TEST(unknown_event_details_are_unknown)
{
	EXPECT_STREQ("unknown", kestrel_event_detail_name(KESTREL_EVENT_STOPPED, 7));
	EXPECT_STREQ("unknown", kestrel_event_detail_name(KESTREL_EVENT_CRASHED, 2));
	EXPECT_STREQ("unknown", kestrel_event_detail_name(KESTREL_EVENT_DEFINED, 0xffffffff));
	EXPECT_STREQ("unknown", kestrel_event_detail_name((enum kestrel_event)9, 0));
	EXPECT_STREQ("unknown", kestrel_event_detail_name((enum kestrel_event)-1, 0));
}

TEST_HARNESS_MAIN
