/*
 * FIFO program and sample ring of the native FIFO sampler: see fifo_core.h.
 */
#include <string.h>

#include "fifo_core.h"

static int inRange(int32_t v, int32_t lo, int32_t hi) {
	return v >= lo && v <= hi;
}

const char *fc_program_init(fc_program *p, const int32_t *f, size_t count) {
	if (count < FC_FIELD_COUNT) return "fields";
	if (!inRange(f[FC_LEVEL_REGISTER], 0, 255)) return "levelRegister";
	if (!inRange(f[FC_LEVEL_MASK], 1, 255)) return "levelMask";
	if (!inRange(f[FC_LEVEL_DIVISOR], 1, 255)) return "levelDivisor";
	if (!inRange(f[FC_LEVEL_BYTES], 1, 2)) return "levelBytes";
	if (!inRange(f[FC_OVERRUN_REGISTER], -1, 255)) return "overrun.register";
	if (!inRange(f[FC_OVERRUN_MASK], 0, 255)) return "overrun.mask";
	if (!inRange(f[FC_DATA_REGISTER], 0, 255)) return "dataRegister";
	if (!inRange(f[FC_SAMPLE_BYTES], 1, FC_MAX_SAMPLE_BYTES)) return "sampleBytes";
	if (!inRange(f[FC_DEPTH], 1, FC_MAX_DEPTH)) return "depth";
	if (!inRange(f[FC_SAMPLES_PER_READ], 1, FC_MAX_DEPTH)) return "samplesPerRead";
	if (!inRange(f[FC_CAPACITY], 1, FC_MAX_CAPACITY)) return "capacity";
	if (!inRange(f[FC_POLL_MS], 1, 60000)) return "pollMs";
	p->levelRegister = (uint8_t)f[FC_LEVEL_REGISTER];
	p->levelMask = (uint8_t)f[FC_LEVEL_MASK];
	p->levelDivisor = (uint8_t)f[FC_LEVEL_DIVISOR];
	p->levelBytes = (uint8_t)f[FC_LEVEL_BYTES];
	p->overrunRegister = (int16_t)f[FC_OVERRUN_REGISTER];
	p->overrunMask = (uint8_t)f[FC_OVERRUN_MASK];
	p->overrunWhenFull = f[FC_OVERRUN_WHEN_FULL] ? 1 : 0;
	p->dataRegister = (uint8_t)f[FC_DATA_REGISTER];
	p->sampleBytes = (uint8_t)f[FC_SAMPLE_BYTES];
	p->depth = (uint16_t)f[FC_DEPTH];
	p->samplesPerRead = (uint16_t)(f[FC_SAMPLES_PER_READ] > f[FC_DEPTH] ? f[FC_DEPTH] : f[FC_SAMPLES_PER_READ]);
	return NULL;
}

uint32_t fc_ring_append(fc_ring *r, const uint8_t *samples, uint32_t n, uint32_t at) {
	uint32_t start, room, keep, first;
	fc_lock(r->lock);
	start = r->tail + r->count;
	if (start >= r->capacity) start -= r->capacity;
	room = r->capacity - r->count;
	fc_unlock(r->lock);

	keep = n < room ? n : room;
	/* the consumer only frees slots meanwhile: [start, start + keep) stays ours */
	first = r->capacity - start;
	if (first > keep) first = keep;
	memcpy(r->data + (size_t)start * r->sampleBytes, samples, (size_t)first * r->sampleBytes);
	memcpy(r->data, samples + (size_t)first * r->sampleBytes, (size_t)(keep - first) * r->sampleBytes);

	fc_lock(r->lock);
	r->count += keep;
	r->lost += n - keep;
	if (keep) r->newestAt = at;
	fc_unlock(r->lock);
	return keep;
}

uint32_t fc_ring_read(fc_ring *r, uint8_t *into, size_t room, uint32_t maxSamples) {
	uint32_t tail, n, first;
	size_t fit = room / r->sampleBytes;
	fc_lock(r->lock);
	tail = r->tail;
	n = r->count;
	fc_unlock(r->lock);

	if (n > maxSamples) n = maxSamples;
	if (n > fit) n = (uint32_t)fit;
	/* the producer only adds after tail + count meanwhile: [tail, tail + n) stays ours */
	first = r->capacity - tail;
	if (first > n) first = n;
	memcpy(into, r->data + (size_t)tail * r->sampleBytes, (size_t)first * r->sampleBytes);
	memcpy(into + (size_t)first * r->sampleBytes, r->data, (size_t)(n - first) * r->sampleBytes);

	fc_lock(r->lock);
	r->tail = tail + n;
	if (r->tail >= r->capacity) r->tail -= r->capacity;
	r->count -= n;
	fc_unlock(r->lock);
	return n;
}

/* One round: level (and overrun), then the samples into scratch. Returns the samples read; *level gets the level, *err a bus error (0: none). */
static uint32_t readRound(const fc_program *p, fc_ring *r, uint8_t *scratch, fc_read_fn read, void *bus, uint32_t *level, int *err) {
	uint8_t head[2], flag;
	uint32_t n, i;
	*level = 0;
	*err = read(bus, p->levelRegister, head, p->levelBytes);
	if (*err) return 0;
	*level = (uint32_t)(head[p->levelBytes - 1] & p->levelMask) / p->levelDivisor;
	if (*level > p->depth) *level = p->depth;

	/* overrun: in the first byte read from the level register, or in its own register (read before the data, whose read may clear it) */
	if (p->overrunMask) {
		int overrun = 0;
		if (p->overrunRegister < 0) overrun = (head[0] & p->overrunMask) != 0;
		else if (!p->overrunWhenFull || *level >= p->depth) {
			*err = read(bus, (uint8_t)p->overrunRegister, &flag, 1);
			if (*err) return 0;
			overrun = (flag & p->overrunMask) != 0;
		}
		if (overrun) {
			fc_lock(r->lock);
			r->overruns++;
			r->lost++;
			fc_unlock(r->lock);
		}
	}

	if (p->samplesPerRead == 1) {
		for (i = 0; i < *level; i++) {
			*err = read(bus, p->dataRegister, scratch + (size_t)i * p->sampleBytes, p->sampleBytes);
			if (*err) return i;
		}
		return *level;
	}
	n = *level < p->samplesPerRead ? *level : p->samplesPerRead;
	if (n) {
		*err = read(bus, p->dataRegister, scratch, (size_t)n * p->sampleBytes);
		if (*err) return 0;
	}
	return n;
}

int fc_drain(const fc_program *p, fc_ring *r, uint8_t *scratch, fc_read_fn read, void *bus, fc_now_fn now) {
	int total = 0, round, err = 0;
	for (round = 0; round < FC_MAX_ROUNDS; round++) {
		uint32_t level;
		uint32_t n = readRound(p, r, scratch, read, bus, &level, &err);
		if (n) {
			fc_ring_append(r, scratch, n, now());
			total += (int)n;
		}
		if (err) {
			fc_lock(r->lock);
			r->errors++;
			r->lastError = err;
			fc_unlock(r->lock);
			return total ? total : -err;
		}
		/* again only if samples were left behind: the FIFO was full (more arrived while it was read) or the burst was shorter than the level */
		if (!(level >= p->depth || n < level)) break;
	}
	return total;
}
