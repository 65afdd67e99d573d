/*
 * Test harness for the portable core of the ESP32's native FIFO sampler
 * (hosts/moddable/native/fifo_core.c), built with the system cc by
 * test/fifo-core-native.test.ts. The core drains a fake ADXL345 written here
 * from its datasheet: FIFO_STATUS 0x39 (entries, bits 5:0), INT_SOURCE 0x30
 * (OVERRUN, bit 0, cleared by the read), DATAX0 0x32 (a 6-byte read pops one
 * entry), 32 entries kept in stream mode (the oldest overwritten when full).
 * The core's program comes from argv as the Int32Array fields the JavaScript
 * binding passes (fifo_core.h's order).
 *
 *   fifo-harness F0,F1,...    script on stdin, one command a line:
 *     push N       N new samples arrive (sample k's 6 bytes: k as u32 LE, k ^ 0x5A5A as u16 LE)
 *     arrive N     from now on, N new samples arrive after each data read (0: none)
 *     fail N       the N-th bus transfer from now fails (error 7)
 *     drain        fc_drain; prints "drain R"
 *     read M       fc_ring_read of up to M samples; prints "read k k k ..." (-1: a corrupt sample)
 *     counters     prints "counters count lost overruns errors lastError"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../hosts/moddable/native/fifo_core.h"

#define FIFO_STATUS 0x39
#define INT_SOURCE 0x30
#define OVERRUN 0x01
#define DATAX0 0x32
#define DEPTH 32
#define ENTRY 6

static uint32_t fifo[DEPTH];
static int fifoCount = 0;
static int overrunFlag = 0;
static uint32_t next = 0;
static int arrivePerRead = 0;
static int failIn = 0;

void fc_lock(void *lock) { (void)lock; }
void fc_unlock(void *lock) { (void)lock; }

static void arrive(int n) {
	for (int i = 0; i < n; i++) {
		if (fifoCount == DEPTH) {
			memmove(fifo, fifo + 1, (DEPTH - 1) * sizeof fifo[0]);
			fifoCount--;
			overrunFlag = 1;
		}
		fifo[fifoCount++] = next++;
	}
}

static int readBus(void *bus, uint8_t reg, uint8_t *data, size_t length) {
	(void)bus;
	if (failIn > 0 && --failIn == 0) return 7;
	if (reg == FIFO_STATUS && length == 1) {
		data[0] = (uint8_t)fifoCount;
		return 0;
	}
	if (reg == INT_SOURCE && length == 1) {
		data[0] = overrunFlag ? OVERRUN : 0;
		overrunFlag = 0;
		return 0;
	}
	if (reg == DATAX0 && length == ENTRY) {
		uint32_t k = 0;
		if (fifoCount > 0) {
			k = fifo[0];
			memmove(fifo, fifo + 1, (size_t)(fifoCount - 1) * sizeof fifo[0]);
			fifoCount--;
		}
		data[0] = (uint8_t)k;
		data[1] = (uint8_t)(k >> 8);
		data[2] = (uint8_t)(k >> 16);
		data[3] = (uint8_t)(k >> 24);
		data[4] = (uint8_t)((k ^ 0x5A5A) & 0xFF);
		data[5] = (uint8_t)(((k ^ 0x5A5A) >> 8) & 0xFF);
		arrive(arrivePerRead);
		return 0;
	}
	fprintf(stderr, "fake ADXL345: read of %u bytes at 0x%02X\n", (unsigned)length, reg);
	exit(3);
}

static uint32_t now(void) { return 0; }

int main(int argc, char **argv) {
	int32_t fields[FC_FIELD_COUNT];
	size_t count = 0;
	char *s = argc > 1 ? argv[1] : "";
	while (*s && count < FC_FIELD_COUNT) {
		fields[count++] = (int32_t)strtol(s, &s, 0);
		if (*s == ',') s++;
	}
	fc_program program;
	const char *bad = fc_program_init(&program, fields, count);
	if (bad) {
		printf("program %s\n", bad);
		return 0;
	}
	fc_ring ring;
	memset(&ring, 0, sizeof ring);
	ring.capacity = (uint32_t)fields[FC_CAPACITY];
	ring.sampleBytes = program.sampleBytes;
	ring.data = calloc(ring.capacity, ring.sampleBytes);
	uint8_t *scratch = calloc(program.depth, program.sampleBytes);
	uint8_t *out = calloc(ring.capacity, ring.sampleBytes);
	char line[64];
	while (fgets(line, sizeof line, stdin)) {
		char cmd[16];
		long n = 0;
		if (sscanf(line, "%15s %ld", cmd, &n) < 1) continue;
		if (!strcmp(cmd, "push")) arrive((int)n);
		else if (!strcmp(cmd, "arrive")) arrivePerRead = (int)n;
		else if (!strcmp(cmd, "fail")) failIn = (int)n;
		else if (!strcmp(cmd, "drain")) printf("drain %d\n", fc_drain(&program, &ring, scratch, readBus, NULL, now));
		else if (!strcmp(cmd, "read")) {
			uint32_t got = fc_ring_read(&ring, out, (size_t)ring.capacity * ring.sampleBytes, (uint32_t)n);
			printf("read");
			for (uint32_t i = 0; i < got; i++) {
				const uint8_t *e = out + (size_t)i * ring.sampleBytes;
				uint32_t k = e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
				uint32_t check = e[4] | (uint32_t)e[5] << 8;
				printf(" %ld", check == ((k ^ 0x5A5A) & 0xFFFF) ? (long)k : -1L);
			}
			printf("\n");
		} else if (!strcmp(cmd, "counters"))
			printf("counters %u %u %u %u %d\n", ring.count, ring.lost, ring.overruns, ring.errors, ring.lastError);
	}
	free(ring.data);
	free(scratch);
	free(out);
	return 0;
}
