// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Names of domain states, state reasons, lifecycle events and their
 * details, worded exactly as virsh prints them (domstate --reason, event),
 * indexed by libvirt's numbering, which the uapi shares.
 */
#include <stddef.h>

#include "libkestrel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* virDomainState */
static const char *const state_names[] = {
	"no state",
	"running",
	"idle",
	"paused",
	"in shutdown",
	"shut off",
	"crashed",
	"pmsuspended",
};

/* virDomainNostateReason, virDomainBlockedReason, virDomainPMSuspendedReason */
static const char *const only_unknown_reasons[] = {
	"unknown",
};

/* virDomainRunningReason */
static const char *const running_reasons[] = {
	"unknown",
	"booted",
	"migrated",
	"restored",
	"from snapshot",
	"unpaused",
	"migration canceled",
	"save canceled",
	"event wakeup",
	"crashed",
	"post-copy",
	"post-copy failed",
};

/* virDomainPausedReason */
static const char *const paused_reasons[] = {
	"unknown",
	"user",
	"migrating",
	"saving",
	"dumping",
	"I/O error",
	"watchdog",
	"from snapshot",
	"shutting down",
	"creating snapshot",
	"crashed",
	"starting up",
	"post-copy",
	"post-copy failed",
	"api error",
};

/* virDomainShutdownReason */
static const char *const shutdown_reasons[] = {
	"unknown",
	"user",
};

/* virDomainShutoffReason */
static const char *const shutoff_reasons[] = {
	"unknown",
	"shutdown",
	"destroyed",
	"crashed",
	"migrated",
	"saved",
	"failed",
	"from snapshot",
	"daemon",
};

/* virDomainCrashedReason */
static const char *const crashed_reasons[] = {
	"unknown",
	"panicked",
};

/* virDomainEventType */
static const char *const event_names[] = {
	"Defined",
	"Undefined",
	"Started",
	"Suspended",
	"Resumed",
	"Stopped",
	"Shutdown",
	"PMSuspended",
	"Crashed",
};

/* virDomainEvent*DetailType */
static const char *const defined_details[] = {
	"Added", "Updated", "Renamed", "Snapshot",
};

static const char *const undefined_details[] = {
	"Removed", "Renamed",
};

static const char *const started_details[] = {
	"Booted", "Migrated", "Restored", "Snapshot", "Event wakeup",
};

static const char *const suspended_details[] = {
	"Paused", "Migrated", "I/O Error", "Watchdog", "Restored", "Snapshot",
	"API error", "Post-copy", "Post-copy Error",
};

static const char *const resumed_details[] = {
	"Unpaused", "Migrated", "Snapshot", "Post-copy", "Post-copy Error",
};

static const char *const stopped_details[] = {
	"Shutdown", "Destroyed", "Crashed", "Migrated", "Saved", "Failed",
	"Snapshot",
};

static const char *const shutdown_details[] = {
	"Finished", "Finished after guest request",
	"Finished after host request",
};

static const char *const pmsuspended_details[] = {
	"Memory", "Disk",
};

static const char *const crashed_details[] = {
	"Panicked", "Crashloaded",
};

struct name_table {
	const char *const *names;
	size_t count;
};

#define TABLE(a) { a, ARRAY_SIZE(a) }

static const struct name_table reason_tables[] = {
	[KESTREL_STATE_NOSTATE] = TABLE(only_unknown_reasons),
	[KESTREL_STATE_RUNNING] = TABLE(running_reasons),
	[KESTREL_STATE_BLOCKED] = TABLE(only_unknown_reasons),
	[KESTREL_STATE_PAUSED] = TABLE(paused_reasons),
	[KESTREL_STATE_SHUTDOWN] = TABLE(shutdown_reasons),
	[KESTREL_STATE_SHUTOFF] = TABLE(shutoff_reasons),
	[KESTREL_STATE_CRASHED] = TABLE(crashed_reasons),
	[7] = TABLE(only_unknown_reasons),	/* VIR_DOMAIN_PMSUSPENDED */
};

static const struct name_table detail_tables[] = {
	[KESTREL_EVENT_DEFINED] = TABLE(defined_details),
	[KESTREL_EVENT_UNDEFINED] = TABLE(undefined_details),
	[KESTREL_EVENT_STARTED] = TABLE(started_details),
	[KESTREL_EVENT_SUSPENDED] = TABLE(suspended_details),
	[KESTREL_EVENT_RESUMED] = TABLE(resumed_details),
	[KESTREL_EVENT_STOPPED] = TABLE(stopped_details),
	[KESTREL_EVENT_SHUTDOWN] = TABLE(shutdown_details),
	[KESTREL_EVENT_PMSUSPENDED] = TABLE(pmsuspended_details),
	[KESTREL_EVENT_CRASHED] = TABLE(crashed_details),
};

static const char *lookup(const struct name_table *t, size_t nt,
			  unsigned int i, unsigned int j, const char *dflt)
{
	if (i >= nt || j >= t[i].count)
		return dflt;
	return t[i].names[j];
}

/* Like virsh: states it does not know are "no state". */
const char *kestrel_state_name(enum kestrel_dom_state state)
{
	if ((unsigned int)state >= ARRAY_SIZE(state_names))
		return state_names[KESTREL_STATE_NOSTATE];
	return state_names[state];
}

const char *kestrel_state_reason_name(enum kestrel_dom_state state,
				      uint32_t reason)
{
	return lookup(reason_tables, ARRAY_SIZE(reason_tables), state, reason,
		      "unknown");
}

const char *kestrel_event_name(enum kestrel_event event)
{
	if ((unsigned int)event >= ARRAY_SIZE(event_names))
		return "unknown";
	return event_names[event];
}

const char *kestrel_event_detail_name(enum kestrel_event event,
				      uint32_t detail)
{
	return lookup(detail_tables, ARRAY_SIZE(detail_tables), event, detail,
		      "unknown");
}
