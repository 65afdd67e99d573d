/*
 * The portable part of the native FIFO sampler (fifo_sampler.c): the FIFO
 * program (how to read an accelerometer's FIFO level, overrun flag and
 * samples over I2C) and the sample ring, in plain C99 with no ESP-IDF or XS
 * header, so the host C compiler can check it.
 *
 * One producer (the sampler task) and one consumer (the XS thread) share the
 * ring. The indices (tail, count) and the counters change only inside
 * fc_lock/fc_unlock (a portMUX critical section on the ESP32); the sample
 * bytes are copied outside it: the producer writes only free slots, the
 * consumer reads only committed ones.
 */
#ifndef FIFO_CORE_H
#define FIFO_CORE_H

#include <stddef.h>
#include <stdint.h>

/* Layout of the Int32Array the JavaScript wrapper (fifo-sampler.js, `Field`) passes to open(). */
enum {
	FC_LEVEL_REGISTER = 0,
	FC_LEVEL_MASK,
	FC_LEVEL_DIVISOR,
	FC_LEVEL_BYTES,        /* 1, or 2: status byte then level byte */
	FC_OVERRUN_REGISTER,   /* -1: the flag is in the first byte read from the level register */
	FC_OVERRUN_MASK,       /* 0: the part reports no overrun */
	FC_OVERRUN_WHEN_FULL,  /* 1: read the overrun register only when the level is the FIFO depth */
	FC_DATA_REGISTER,
	FC_SAMPLE_BYTES,
	FC_SAMPLES_PER_READ,   /* 1: one burst per sample; otherwise up to this many samples per burst */
	FC_DEPTH,
	FC_CAPACITY,           /* samples in the ring */
	FC_POLL_MS,
	FC_ADDRESS,
	FC_HZ,
	FC_PORT,               /* -1: port 0 (the one Moddable's SMBus takes first) */
	FC_DATA_PIN,
	FC_CLOCK_PIN,
	FC_INTERRUPT_PIN,      /* -1: poll only */
	FC_INTERRUPT_MODE,     /* Digital mode: 0 Input, 1 InputPullUp, 2 InputPullDown, 3 InputPullUpDown */
	FC_INTERRUPT_EDGE,     /* Digital edge: 1 Rising, 2 Falling, 3 both */
	FC_FIELD_COUNT
};

#define FC_MAX_SAMPLE_BYTES 64
#define FC_MAX_DEPTH 1024
#define FC_MAX_CAPACITY (1 << 20)
/* A drain reads the level again while the FIFO was full or a burst took less than the level, at most this often. */
#define FC_MAX_ROUNDS 4

typedef struct {
	uint8_t levelRegister, levelMask, levelDivisor, levelBytes;
	int16_t overrunRegister;
	uint8_t overrunMask, overrunWhenFull;
	uint8_t dataRegister, sampleBytes;
	uint16_t samplesPerRead, depth;
} fc_program;

/* Checks the fields and fills `program`; returns NULL, or what is wrong. */
const char *fc_program_init(fc_program *program, const int32_t *fields, size_t count);

/* The bus, as the program sees it: write `reg`, then read `length` bytes (repeated start). Returns 0 or an error code. */
typedef int (*fc_read_fn)(void *bus, uint8_t reg, uint8_t *data, size_t length);

typedef struct {
	uint8_t *data;          /* capacity * sampleBytes, allocated once */
	uint32_t capacity;      /* samples */
	uint32_t sampleBytes;
	uint32_t tail;          /* index of the oldest sample */
	uint32_t count;         /* samples in the ring */
	uint32_t lost;          /* samples dropped: ring full, plus one per FIFO overrun (the part does not say how many) */
	uint32_t overruns;      /* FIFO overruns seen */
	uint32_t errors;        /* failed drains (bus errors) */
	int32_t lastError;
	uint32_t newestAt;      /* ms (Time.ticks base) after the burst that read the newest sample */
	uint8_t posted;         /* a message to XS is queued and not yet delivered */
	void *lock;             /* argument of fc_lock / fc_unlock */
} fc_ring;

/* Critical section around the ring's indices and counters (provided by the platform file). */
void fc_lock(void *lock);
void fc_unlock(void *lock);

/*
 * Empties the sensor FIFO into the ring: level (and overrun), then bursts, up to
 * FC_MAX_ROUNDS times. `scratch` holds depth * sampleBytes. `now` gives the
 * timestamp. Returns the samples read from the sensor (kept or lost to a full
 * ring; >= 0), or a negative bus error if it failed before reading any (a
 * failure counts in `errors`; samples read before it stay).
 */
typedef uint32_t (*fc_now_fn)(void);
int fc_drain(const fc_program *program, fc_ring *ring, uint8_t *scratch, fc_read_fn read, void *bus, fc_now_fn now);

/* Appends n samples from `samples` (what does not fit is lost); stamps newestAt. Returns the samples kept. */
uint32_t fc_ring_append(fc_ring *ring, const uint8_t *samples, uint32_t n, uint32_t at);

/* Copies up to maxSamples of the oldest samples into `into` (room for `room` bytes: whole samples only). Returns the samples copied. */
uint32_t fc_ring_read(fc_ring *ring, uint8_t *into, size_t room, uint32_t maxSamples);

#endif
