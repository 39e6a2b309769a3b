#include <rig/alarm.h>
#include <rig/syscall.h>

static struct alarm *queue;   /* armed alarms, earliest first */
static bool subscribed;

uint32_t alarm_frequency(void)
{
	return command(DRV_ALARM, ALARM_CMD_FREQUENCY, 0, 0).r1;
}

uint64_t alarm_now(void)
{
	return sysret_u64(command(DRV_ALARM, ALARM_CMD_NOW, 0, 0));
}

uint64_t alarm_ticks_from_ms(uint32_t ms)
{
	return (uint64_t)ms * alarm_frequency() / 1000;
}

static void set_kernel_alarm(void)
{
	if (queue == NULL) {
		command(DRV_ALARM, ALARM_CMD_CANCEL, 0, 0);
		return;
	}
	command(DRV_ALARM, ALARM_CMD_SET_ABSOLUTE, (uint32_t)queue->deadline,
		(uint32_t)(queue->deadline >> 32));
}

static void unlink_alarm(struct alarm *a)
{
	for (struct alarm **pp = &queue; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	}
	a->next = NULL;
	a->armed = false;
}

/*
 * The kernel's alarm expired. Run everything that is due, by deadline;
 * an upcall left over from an alarm set earlier finds nothing due and
 * does no harm.
 */
static void on_expired(uint32_t lo, uint32_t hi, uint32_t unused, void *userdata)
{
	(void)lo;
	(void)hi;
	(void)unused;
	(void)userdata;
	while (queue != NULL && queue->deadline <= alarm_now()) {
		struct alarm *a = queue;
		unlink_alarm(a);
		a->fn(a, a->userdata);
	}
	set_kernel_alarm();
}

void alarm_at(struct alarm *a, uint64_t deadline, alarm_fn *fn, void *userdata)
{
	if (!subscribed) {
		subscribe(DRV_ALARM, ALARM_UPCALL_EXPIRED, on_expired, NULL);
		subscribed = true;
	}
	if (a->armed)
		unlink_alarm(a);
	a->deadline = deadline;
	a->fn = fn;
	a->userdata = userdata;
	a->armed = true;

	/* After those with the same deadline: equal deadlines fire in the order set. */
	struct alarm **pp = &queue;
	while (*pp != NULL && (*pp)->deadline <= deadline)
		pp = &(*pp)->next;
	a->next = *pp;
	*pp = a;
	set_kernel_alarm();
}

void alarm_in_ms(struct alarm *a, uint32_t ms, alarm_fn *fn, void *userdata)
{
	alarm_at(a, alarm_now() + alarm_ticks_from_ms(ms), fn, userdata);
}

bool alarm_cancel(struct alarm *a)
{
	if (!a->armed)
		return false;
	unlink_alarm(a);
	set_kernel_alarm();
	return true;
}

static void set_flag(struct alarm *a, void *userdata)
{
	(void)a;
	*(volatile bool *)userdata = true;
}

void delay_ms(uint32_t ms)
{
	struct alarm a = { 0 };
	volatile bool done = false;

	alarm_in_ms(&a, ms, set_flag, (void *)&done);
	yield_for(&done);
}
