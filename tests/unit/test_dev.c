/*
 * test_dev.c - the device alone: every command, every error status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/dev/dev.h"

struct out { struct dev_cmd_out_hdr hdr; uint8_t payload[64]; };

static uint8_t run(struct dev *d, void *in, size_t inlen, struct out *o)
{
	memset(o, 0xa5, sizeof(*o));
	return dev_cmd_exec(d, in, inlen, o, sizeof(*o));
}

static uint8_t fn(struct dev *d, uint16_t op, uint32_t fn_id, uint32_t *synd)
{
	struct dev_fn_in in = { .hdr.opcode = op, .fn_id = fn_id };
	struct out o;
	uint8_t st = run(d, &in, sizeof(in), &o);

	if (synd)
		*synd = o.hdr.syndrome;
	return st;
}

static uint8_t esw(struct dev *d, uint8_t mode, uint32_t *synd)
{
	struct dev_set_esw_mode_in in = { .hdr.opcode = DEV_CMD_SET_ESW_MODE, .esw.mode = mode };
	struct out o;
	uint8_t st = run(d, &in, sizeof(in), &o);

	if (synd)
		*synd = o.hdr.syndrome;
	return st;
}

static uint8_t alloc_sf(struct dev *d, uint32_t ctrl, uint16_t pf, uint32_t sfnum,
			uint32_t *fn_id, uint32_t *synd)
{
	struct dev_alloc_sf_in in = { .hdr.opcode = DEV_CMD_ALLOC_SF, .controller = ctrl,
				      .pfnum = pf, .sfnum = sfnum };
	struct out o;
	uint8_t st = run(d, &in, sizeof(in), &o);

	if (fn_id)
		*fn_id = ((struct dev_alloc_sf_out *)&o)->fn_id;
	if (synd)
		*synd = o.hdr.syndrome;
	return st;
}

static int setup(void **state)
{
	struct dev *d = dev_create(4, 2);

	assert_non_null(d);
	assert_int_equal(esw(d, DEV_ESW_SWITCHDEV, NULL), DEV_STAT_OK);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	dev_destroy(*state);
	return 0;
}

static void drain(struct dev *d)
{
	struct dev_eqe e;

	while (dev_eq_poll(d, &e))
		;
}

static void test_header_checks(void **state)
{
	struct dev *d = *state;
	struct dev_cmd_in_hdr h = { .opcode = 0x7777 };
	struct out o;
	uint8_t tiny[4];

	assert_int_equal(run(d, &h, sizeof(h), &o), DEV_STAT_BAD_OP);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_UNKNOWN_OPCODE);
	assert_int_equal(run(d, &h, 4, &o), DEV_STAT_BAD_INPUT_LEN);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_SHORT_INPUT);
	assert_int_equal(dev_cmd_exec(d, &h, sizeof(h), tiny, sizeof(tiny)),
			 DEV_STAT_BAD_OUTPUT_LEN);
	h = (struct dev_cmd_in_hdr){ .opcode = DEV_CMD_QUERY_ESW_MODE, .rsvd = 1 };
	assert_int_equal(run(d, &h, sizeof(h), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_RESERVED_NOT_ZERO);
	/* Short output for a command with a payload. */
	h = (struct dev_cmd_in_hdr){ .opcode = DEV_CMD_QUERY_HCA_CAP };
	assert_int_equal(dev_cmd_exec(d, &h, sizeof(h), &o, sizeof(o.hdr)),
			 DEV_STAT_BAD_OUTPUT_LEN);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_SHORT_OUTPUT);
}

static void test_unprivileged_uid(void **state)
{
	struct dev *d = *state;
	struct dev_create_uctx_in cu = { .hdr.opcode = DEV_CMD_CREATE_UCTX,
					 .cap = DEV_UCTX_CAP_SCOPE(DEV_SCOPE_CONFIGURATION) };
	struct dev_alloc_sf_in in = { .hdr = { .opcode = DEV_CMD_ALLOC_SF, .uid = 5 } };
	struct dev_cmd_in_hdr q = { .opcode = DEV_CMD_QUERY_ESW_MODE, .uid = 5 };
	struct out o;
	uint16_t uid;

	/* A uid that names no user context gets nothing, not even queries. */
	assert_int_equal(run(d, &in, sizeof(in), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_UNKNOWN_UID);
	assert_int_equal(run(d, &q, sizeof(q), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_UNKNOWN_UID);
	/* A context gets the queries of its scope and never a driver command. */
	assert_int_equal(run(d, &cu, sizeof(cu), &o), DEV_STAT_OK);
	uid = ((struct dev_create_uctx_out *)&o)->uid;
	in.hdr.uid = q.uid = uid;
	assert_int_equal(run(d, &in, sizeof(in), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_NOT_PRIVILEGED);
	assert_int_equal(run(d, &q, sizeof(q), &o), DEV_STAT_OK);
}

static void test_caps(void **state)
{
	struct dev *d = *state;
	struct dev_query_hca_cap_in q = { .hdr.opcode = DEV_CMD_QUERY_HCA_CAP };
	struct dev_set_hca_cap_in s = { .hdr.opcode = DEV_CMD_SET_HCA_CAP };
	struct out o;
	struct dev_query_hca_cap_out *qo = (void *)&o;
	uint32_t id;

	assert_int_equal(run(d, &q, sizeof(q), &o), DEV_STAT_OK);
	assert_int_equal(qo->cap.max_sfs[0], 4);
	assert_int_equal(qo->cap.max_sfs[1], 2);
	assert_int_equal(qo->cap.sf_base[0], DEV_SF_BASE_LOCAL);
	assert_int_equal(qo->cap.if_version, DEV_CMD_IF_VERSION);
	q.hdr.op_mod = 9;
	assert_int_equal(run(d, &q, sizeof(q), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_BAD_OP_MOD);

	s.cap.max_sfs[0] = DEV_SF_HARD_MAX + 1;
	assert_int_equal(run(d, &s, sizeof(s), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_CAP_ABOVE_MAX);
	s.hdr.op_mod = 3;
	assert_int_equal(run(d, &s, sizeof(s), &o), DEV_STAT_BAD_PARAM);
	s.hdr.op_mod = 0;
	/* Grow to the hard max, then cannot shrink below an allocated slot. */
	s.cap.max_sfs[0] = DEV_SF_HARD_MAX;
	s.cap.max_sfs[1] = 2;
	assert_int_equal(run(d, &s, sizeof(s), &o), DEV_STAT_OK);
	assert_int_equal(alloc_sf(d, 0, 0, 1, &id, NULL), DEV_STAT_OK);
	s.cap.max_sfs[0] = 0;
	assert_int_equal(run(d, &s, sizeof(s), &o), DEV_STAT_RESOURCE_BUSY);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_CAP_BELOW_USE);
	s.cap.max_sfs[0] = 1;
	assert_int_equal(run(d, &s, sizeof(s), &o), DEV_STAT_OK);
}

static void test_alloc_errors(void **state)
{
	struct dev *d = *state;
	uint32_t id, synd;
	struct dev_alloc_sf_in at = { .hdr = { .opcode = DEV_CMD_ALLOC_SF,
					       .op_mod = DEV_ALLOC_SF_AT }, .sfnum = 50 };
	struct out o;

	assert_int_equal(alloc_sf(d, 2, 0, 1, NULL, &synd), DEV_STAT_BAD_PARAM);
	assert_int_equal(synd, DEV_SYND_SF_BAD_CONTROLLER);
	assert_int_equal(alloc_sf(d, 0, 1, 1, NULL, &synd), DEV_STAT_BAD_PARAM);
	assert_int_equal(synd, DEV_SYND_SF_BAD_PFNUM);
	assert_int_equal(alloc_sf(d, 0, 0, 88, &id, NULL), DEV_STAT_OK);
	assert_int_equal(id, DEV_SF_BASE_LOCAL);
	assert_int_equal(alloc_sf(d, 0, 0, 88, NULL, &synd), DEV_STAT_BAD_PARAM);
	assert_int_equal(synd, DEV_SYND_SF_SFNUM_IN_USE);
	/* The same sfnum on the external controller is a different SF. */
	assert_int_equal(alloc_sf(d, 1, 0, 88, &id, NULL), DEV_STAT_OK);
	assert_int_equal(id, DEV_SF_BASE_EXTERNAL);
	for (uint32_t i = 1; i < 4; i++)
		assert_int_equal(alloc_sf(d, 0, 0, i, NULL, NULL), DEV_STAT_OK);
	assert_int_equal(alloc_sf(d, 0, 0, 99, NULL, &synd), DEV_STAT_NO_RESOURCES);
	assert_int_equal(synd, DEV_SYND_SF_TABLE_FULL);
	/* op_mod AT: occupied, out of range, bad op_mod, reserved field. */
	at.fn_id = DEV_SF_BASE_LOCAL;
	assert_int_equal(run(d, &at, sizeof(at), &o), DEV_STAT_BAD_INDEX);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_SF_SLOT_IN_USE);
	at.fn_id = DEV_SF_BASE_LOCAL + 4;
	assert_int_equal(run(d, &at, sizeof(at), &o), DEV_STAT_BAD_INDEX);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_SF_SLOT_OUT_OF_RANGE);
	at.hdr.op_mod = 7;
	assert_int_equal(run(d, &at, sizeof(at), &o), DEV_STAT_BAD_PARAM);
	at.hdr.op_mod = 0;
	at.rsvd = 1;
	assert_int_equal(run(d, &at, sizeof(at), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_RESERVED_NOT_ZERO);
}

static void test_alloc_legacy_refused(void **state)
{
	struct dev *d = dev_create(2, 2);
	uint32_t synd;

	(void)state;
	assert_int_equal(alloc_sf(d, 0, 0, 1, NULL, &synd), DEV_STAT_BAD_SYS_STATE);
	assert_int_equal(synd, DEV_SYND_SF_NOT_SWITCHDEV);
	dev_destroy(d);
}

static void test_alloc_at_and_reuse(void **state)
{
	struct dev *d = *state;
	struct dev_alloc_sf_in at = { .hdr = { .opcode = DEV_CMD_ALLOC_SF,
					       .op_mod = DEV_ALLOC_SF_AT },
				      .sfnum = 7, .fn_id = DEV_SF_BASE_LOCAL + 2 };
	struct out o;
	uint32_t id;

	assert_int_equal(run(d, &at, sizeof(at), &o), DEV_STAT_OK);
	assert_int_equal(((struct dev_alloc_sf_out *)&o)->fn_id, DEV_SF_BASE_LOCAL + 2);
	/* AUTO takes the lowest free slot around it. */
	assert_int_equal(alloc_sf(d, 0, 0, 1, &id, NULL), DEV_STAT_OK);
	assert_int_equal(id, DEV_SF_BASE_LOCAL);
	assert_int_equal(alloc_sf(d, 0, 0, 2, &id, NULL), DEV_STAT_OK);
	assert_int_equal(id, DEV_SF_BASE_LOCAL + 1);
	assert_int_equal(alloc_sf(d, 0, 0, 3, &id, NULL), DEV_STAT_OK);
	assert_int_equal(id, DEV_SF_BASE_LOCAL + 3);
	/* A freed slot and its sfnum are reusable. */
	assert_int_equal(fn(d, DEV_CMD_DEALLOC_SF, DEV_SF_BASE_LOCAL + 1, NULL), DEV_STAT_OK);
	assert_int_equal(alloc_sf(d, 0, 0, 2, &id, NULL), DEV_STAT_OK);
	assert_int_equal(id, DEV_SF_BASE_LOCAL + 1);
}

static void expect_event(struct dev *d, uint32_t fn_id, uint8_t state)
{
	struct dev_eqe e;

	assert_int_equal(dev_eq_poll(d, &e), 1);
	assert_int_equal(e.type, DEV_EVENT_VHCA_STATE);
	assert_int_equal(e.fn_id, fn_id);
	assert_int_equal(e.state, state);
}

static uint8_t vhca_state(struct dev *d, uint32_t fn_id)
{
	struct dev_fn_in in = { .hdr.opcode = DEV_CMD_QUERY_VHCA_STATE, .fn_id = fn_id };
	struct out o;

	assert_int_equal(run(d, &in, sizeof(in), &o), DEV_STAT_OK);
	return ((struct dev_query_vhca_state_out *)&o)->state;
}

static void test_function_state_machine(void **state)
{
	struct dev *d = *state;
	uint32_t id, synd;

	drain(d);
	assert_int_equal(alloc_sf(d, 0, 0, 88, &id, NULL), DEV_STAT_OK);
	expect_event(d, id, DEV_VHCA_ALLOCATED);
	/* A driver cannot attach to a disabled function. */
	assert_int_equal(fn(d, DEV_CMD_INIT_HCA, id, &synd), DEV_STAT_BAD_RES_STATE);
	assert_int_equal(synd, DEV_SYND_INIT_NOT_ENABLED);
	assert_int_equal(fn(d, DEV_CMD_TEARDOWN_HCA, id, &synd), DEV_STAT_BAD_RES_STATE);
	assert_int_equal(synd, DEV_SYND_TEARDOWN_NOT_IN_USE);
	assert_int_equal(fn(d, DEV_CMD_ENABLE_HCA, id, NULL), DEV_STAT_OK);
	expect_event(d, id, DEV_VHCA_ACTIVE);
	assert_int_equal(fn(d, DEV_CMD_ENABLE_HCA, id, NULL), DEV_STAT_OK); /* no-op */
	assert_int_equal(dev_eq_depth(d), 0);
	assert_int_equal(fn(d, DEV_CMD_INIT_HCA, id, NULL), DEV_STAT_OK);
	expect_event(d, id, DEV_VHCA_IN_USE);
	/* In use: cannot be freed. */
	assert_int_equal(fn(d, DEV_CMD_DEALLOC_SF, id, &synd), DEV_STAT_RESOURCE_BUSY);
	assert_int_equal(synd, DEV_SYND_DEALLOC_NOT_DISABLED);
	assert_int_equal(fn(d, DEV_CMD_DISABLE_HCA, id, NULL), DEV_STAT_OK);
	expect_event(d, id, DEV_VHCA_TEARDOWN_REQUEST);
	assert_int_equal(vhca_state(d, id), DEV_VHCA_TEARDOWN_REQUEST);
	/* Re-enable before the driver let go: the mlx5 EBUSY case. */
	assert_int_equal(fn(d, DEV_CMD_ENABLE_HCA, id, &synd), DEV_STAT_BAD_RES_STATE);
	assert_int_equal(synd, DEV_SYND_ENABLE_TEARDOWN_PENDING);
	assert_int_equal(fn(d, DEV_CMD_TEARDOWN_HCA, id, NULL), DEV_STAT_OK);
	expect_event(d, id, DEV_VHCA_ALLOCATED);
	assert_int_equal(fn(d, DEV_CMD_DISABLE_HCA, id, NULL), DEV_STAT_OK); /* no-op */
	assert_int_equal(fn(d, DEV_CMD_DEALLOC_SF, id, NULL), DEV_STAT_OK);
	expect_event(d, id, DEV_VHCA_INVALID);
	assert_int_equal(fn(d, DEV_CMD_ENABLE_HCA, id, &synd), DEV_STAT_BAD_PARAM);
	assert_int_equal(synd, DEV_SYND_UNKNOWN_FUNCTION);
}

static void test_unbind_while_enabled(void **state)
{
	struct dev *d = *state;
	uint32_t id;

	assert_int_equal(alloc_sf(d, 0, 0, 5, &id, NULL), DEV_STAT_OK);
	assert_int_equal(fn(d, DEV_CMD_ENABLE_HCA, id, NULL), DEV_STAT_OK);
	assert_int_equal(fn(d, DEV_CMD_INIT_HCA, id, NULL), DEV_STAT_OK);
	/* Driver detaches while the function stays enabled. */
	assert_int_equal(fn(d, DEV_CMD_TEARDOWN_HCA, id, NULL), DEV_STAT_OK);
	assert_int_equal(vhca_state(d, id), DEV_VHCA_ACTIVE);
	assert_int_equal(fn(d, DEV_CMD_DISABLE_HCA, id, NULL), DEV_STAT_OK);
	assert_int_equal(vhca_state(d, id), DEV_VHCA_ALLOCATED);
}

static void test_pf_not_sf(void **state)
{
	struct dev *d = *state;
	uint32_t synd;

	assert_int_equal(fn(d, DEV_CMD_ENABLE_HCA, DEV_FN_PF, &synd), DEV_STAT_BAD_PARAM);
	assert_int_equal(synd, DEV_SYND_ENABLE_NOT_SF);
	assert_int_equal(fn(d, DEV_CMD_DISABLE_HCA, DEV_FN_PF, &synd), DEV_STAT_BAD_PARAM);
	assert_int_equal(synd, DEV_SYND_DISABLE_NOT_SF);
	{
		struct dev_fn_in in = { .hdr = { .opcode = DEV_CMD_ENABLE_HCA, .op_mod = 1 } };
		struct out o;

		assert_int_equal(run(d, &in, sizeof(in), &o), DEV_STAT_BAD_PARAM);
		assert_int_equal(o.hdr.syndrome, DEV_SYND_BAD_OP_MOD);
		in.hdr.op_mod = 0;
		in.rsvd = 3;
		assert_int_equal(run(d, &in, sizeof(in), &o), DEV_STAT_BAD_PARAM);
	}
}

static void test_vport_ctx(void **state)
{
	struct dev *d = *state;
	struct dev_modify_vport_ctx_in m = { .hdr.opcode = DEV_CMD_MODIFY_VPORT_CTX,
		.field_select = DEV_VPORT_FIELD_HW_ADDR,
		.ctx.hw_addr = { 0, 0, 0, 0, 0x88, 0x88 } };
	struct dev_fn_in q = { .hdr.opcode = DEV_CMD_QUERY_VPORT_CTX };
	struct out o;
	uint32_t id;

	assert_int_equal(alloc_sf(d, 0, 0, 88, &id, NULL), DEV_STAT_OK);
	m.fn_id = q.fn_id = id;
	assert_int_equal(run(d, &q, sizeof(q), &o), DEV_STAT_OK);
	assert_int_equal(((struct dev_query_vport_ctx_out *)&o)->ctx.mtu, 1500);
	assert_int_equal(run(d, &m, sizeof(m), &o), DEV_STAT_OK);
	assert_int_equal(run(d, &q, sizeof(q), &o), DEV_STAT_OK);
	assert_memory_equal(((struct dev_query_vport_ctx_out *)&o)->ctx.hw_addr, m.ctx.hw_addr, 6);
	m.ctx.hw_addr[0] = 1;
	assert_int_equal(run(d, &m, sizeof(m), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_VPORT_MULTICAST_ADDR);
	m.field_select = DEV_VPORT_FIELD_MTU;
	m.ctx.mtu = 20;
	assert_int_equal(run(d, &m, sizeof(m), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_VPORT_BAD_MTU);
	m.field_select = 0;
	assert_int_equal(run(d, &m, sizeof(m), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_VPORT_NO_FIELDS);
	m.fn_id = 12345;
	m.field_select = DEV_VPORT_FIELD_MTU;
	assert_int_equal(run(d, &m, sizeof(m), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_UNKNOWN_FUNCTION);
	q.fn_id = DEV_FN_PF;
	assert_int_equal(run(d, &q, sizeof(q), &o), DEV_STAT_OK);
	q.fn_id = 999;
	assert_int_equal(run(d, &q, sizeof(q), &o), DEV_STAT_BAD_PARAM);
}

static void test_esw_mode(void **state)
{
	struct dev *d = *state;
	struct dev_cmd_in_hdr q = { .opcode = DEV_CMD_QUERY_ESW_MODE };
	struct dev_set_esw_mode_in s = { .hdr.opcode = DEV_CMD_SET_ESW_MODE };
	struct out o;
	struct dev_eqe e;
	uint32_t id, synd;

	assert_int_equal(run(d, &q, sizeof(q), &o), DEV_STAT_OK);
	assert_int_equal(((struct dev_query_esw_mode_out *)&o)->esw.mode, DEV_ESW_SWITCHDEV);
	assert_int_equal(esw(d, 3, &synd), DEV_STAT_BAD_PARAM);
	assert_int_equal(synd, DEV_SYND_ESW_BAD_MODE);
	s.esw = (struct dev_esw_mode){ .mode = 1, .inline_mode = 9 };
	assert_int_equal(run(d, &s, sizeof(s), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_ESW_BAD_INLINE);
	s.esw = (struct dev_esw_mode){ .mode = 1, .encap_mode = 9 };
	assert_int_equal(run(d, &s, sizeof(s), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(o.hdr.syndrome, DEV_SYND_ESW_BAD_ENCAP);
	s.esw = (struct dev_esw_mode){ .mode = 1, .rsvd = 1 };
	assert_int_equal(run(d, &s, sizeof(s), &o), DEV_STAT_BAD_PARAM);
	assert_int_equal(alloc_sf(d, 0, 0, 1, &id, NULL), DEV_STAT_OK);
	assert_int_equal(esw(d, DEV_ESW_LEGACY, &synd), DEV_STAT_RESOURCE_BUSY);
	assert_int_equal(synd, DEV_SYND_ESW_SFS_EXIST);
	assert_int_equal(fn(d, DEV_CMD_DEALLOC_SF, id, NULL), DEV_STAT_OK);
	drain(d);
	assert_int_equal(esw(d, DEV_ESW_LEGACY, NULL), DEV_STAT_OK);
	assert_int_equal(dev_eq_poll(d, &e), 1);
	assert_int_equal(e.type, DEV_EVENT_ESW_MODE);
	assert_int_equal(e.state, DEV_ESW_LEGACY);
}

static void test_eq_grows(void **state)
{
	struct dev *d = dev_create(DEV_SF_HARD_MAX, 0);
	uint32_t id;

	(void)state;
	assert_int_equal(esw(d, DEV_ESW_SWITCHDEV, NULL), DEV_STAT_OK);
	drain(d);
	for (uint32_t i = 0; i < 10000; i++)
		assert_int_equal(alloc_sf(d, 0, 0, i, &id, NULL), DEV_STAT_OK);
	assert_int_equal(dev_eq_depth(d), 10000);
	for (uint32_t i = 0; i < 10000; i++)
		expect_event(d, DEV_SF_BASE_LOCAL + i, DEV_VHCA_ALLOCATED);
	dev_destroy(d);
}

static void test_index_skips_uplink_vport(void **state)
{
	struct dev *d = dev_create(DEV_SF_HARD_MAX, 1);
	uint32_t id;

	(void)state;
	assert_int_equal(esw(d, DEV_ESW_SWITCHDEV, NULL), DEV_STAT_OK);
	for (uint32_t i = 0; i < DEV_SF_HARD_MAX; i++) {
		assert_int_equal(alloc_sf(d, 0, 0, i, &id, NULL), DEV_STAT_OK);
		assert_int_not_equal(id, DEV_VPORT_UPLINK);
	}
	assert_int_equal(id, DEV_SF_BASE_LOCAL + DEV_SF_HARD_MAX);
	assert_int_equal(vhca_state(d, DEV_VPORT_UPLINK - 1), DEV_VHCA_ALLOCATED);
	assert_int_equal(vhca_state(d, DEV_VPORT_UPLINK + 1), DEV_VHCA_ALLOCATED);
	assert_int_equal(fn(d, DEV_CMD_ENABLE_HCA, DEV_VPORT_UPLINK, NULL), DEV_STAT_BAD_PARAM);
	assert_int_equal(alloc_sf(d, 1, 0, 0, &id, NULL), DEV_STAT_OK);
	assert_int_equal(id, DEV_SF_BASE_EXTERNAL);
	dev_destroy(d);
}

static void test_status_names(void **state)
{
	(void)state;
	assert_int_equal(dev_status_to_errno(DEV_STAT_OK), 0);
	assert_int_equal(dev_status_to_errno(DEV_STAT_RESOURCE_BUSY), EBUSY);
	assert_int_equal(dev_status_to_errno(DEV_STAT_NO_RESOURCES), EAGAIN);
	assert_string_equal(dev_status_str(DEV_STAT_BAD_RES_STATE), "BAD_RES_STATE");
	assert_string_equal(dev_status_str(0xee), "UNKNOWN");
	assert_null(dev_create(DEV_SF_HARD_MAX + 1, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_header_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unprivileged_uid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_errors, setup, teardown),
		cmocka_unit_test(test_alloc_legacy_refused),
		cmocka_unit_test_setup_teardown(test_alloc_at_and_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_function_state_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbind_while_enabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pf_not_sf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vport_ctx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_esw_mode, setup, teardown),
		cmocka_unit_test(test_eq_grows),
		cmocka_unit_test(test_index_skips_uplink_vport),
		cmocka_unit_test(test_status_names),
	};
	return cmocka_run_group_tests_name("dev", tests, NULL, NULL);
}
