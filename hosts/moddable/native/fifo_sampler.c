/*
 * Native FIFO sampler for the ESP32 (host functions of hosts/moddable/fifo-sampler.js).
 * UNVERIFIED until a board runs it: compiled here only against stub headers.
 *
 * A FreeRTOS task (pinned to MODDEF_FIFOSAMPLER_CORE, default 0) waits for a
 * task notification from the sensor's watermark GPIO interrupt or from an
 * esp_timer every pollMs (the timer also runs with an interrupt line: an edge
 * missed while the line stayed high never strands the FIFO), drains the sensor
 * FIFO by its program (fifo_core.c) over the ESP-IDF I2C master driver into a
 * ring allocated once (capacity x sampleBytes), and posts one coalesced
 * message to the XS machine (modMessagePostToMachine) so onReadable runs on
 * the XS thread. XS reads the ring with read(); the ring's indices are guarded
 * by a portMUX critical section.
 *
 * I2C: the Moddable SDK's ECMA-419 I2C (modules/io/i2c/esp32/_i2c.c) uses the
 * ESP-IDF 5+ master driver (i2c_new_master_bus, i2c_master_bus_add_device,
 * i2c_master_transmit_receive). This file takes the bus already created on the
 * port (i2c_master_get_bus_handle: the driver's SMBus made it) and adds its own
 * device at the sensor's address; without one it creates the bus on the
 * given pins (and deletes it on close). Synchronous transactions on one bus
 * are serialised by the driver's bus lock, so the XS SMBus and this task can
 * share the bus.
 *
 * Lifetime: open() remembers the host object (xsRemember) until close(), as
 * the SDK's IO objects do. close() stops the timer and the interrupt, asks the
 * task to stop, waits until it has finished its drain (it never holds the bus
 * when stopped), deletes it and frees everything; a message still queued for
 * XS keeps the record alive until it is delivered, then frees it.
 */
#include "xsmc.h"
#include "xsHost.h"
#include "builtinCommon.h"

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "freertos/semphr.h"
#include "driver/i2c_master.h"
#include "driver/gpio.h"
#include "esp_timer.h"

#include "fifo_core.h"

#ifndef MODDEF_FIFOSAMPLER_CORE
	#define MODDEF_FIFOSAMPLER_CORE (0)
#endif
#ifndef MODDEF_FIFOSAMPLER_PRIORITY
	#define MODDEF_FIFOSAMPLER_PRIORITY (5)		/* above the XS task (4), below lwIP (18) and Wi-Fi (23) */
#endif
#ifndef MODDEF_FIFOSAMPLER_STACK
	#define MODDEF_FIFOSAMPLER_STACK (3072)		/* bytes (ESP-IDF counts task stacks in bytes) */
#endif
#define kI2CTimeoutMs (50)

typedef struct FifoSamplerRecord FifoSamplerRecord;
struct FifoSamplerRecord {
	xsMachine *the;
	xsSlot obj;				/* the host object, remembered while open */
	xsSlot callback;		/* onReadable(samples), remembered while open */

	fc_program program;
	fc_ring ring;
	portMUX_TYPE mux;
	uint8_t *scratch;		/* depth * sampleBytes: one drain round */

	i2c_master_bus_handle_t bus;
	i2c_master_dev_handle_t device;
	uint8_t ownsBus;

	int interruptPin;		/* -1: none */
	esp_timer_handle_t timer;
	TaskHandle_t task;
	SemaphoreHandle_t stopped;	/* given by the task when it has stopped */
	volatile uint8_t stop;
	volatile uint8_t closed;	/* closed while a message was queued: the delivery frees the record */
};

void fc_lock(void *lock) {
	portENTER_CRITICAL((portMUX_TYPE *)lock);
}

void fc_unlock(void *lock) {
	portEXIT_CRITICAL((portMUX_TYPE *)lock);
}

static uint32_t nowMs(void) {
	return modMilliseconds();	/* the clock of Time.ticks */
}

static int busRead(void *bus, uint8_t reg, uint8_t *data, size_t length) {
	esp_err_t err = i2c_master_transmit_receive((i2c_master_dev_handle_t)bus, &reg, 1, data, length, kI2CTimeoutMs);
	return (ESP_OK == err) ? 0 : (int)err;
}

static void IRAM_ATTR watermarkISR(void *refcon) {
	FifoSamplerRecord *fs = refcon;
	BaseType_t woken = pdFALSE;
	vTaskNotifyGiveFromISR(fs->task, &woken);
	if (woken)
		portYIELD_FROM_ISR();
}

static void pollTimer(void *refcon) {
	FifoSamplerRecord *fs = refcon;
	xTaskNotifyGive(fs->task);
}

static void deliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength);

static void samplerTask(void *refcon) {
	FifoSamplerRecord *fs = refcon;
	while (!fs->stop) {
		ulTaskNotifyTake(pdTRUE, portMAX_DELAY);
		if (fs->stop)
			break;
		int drained = fc_drain(&fs->program, &fs->ring, fs->scratch, busRead, fs->device, nowMs);
		if (drained == 0)
			continue;

		/* samples to read, or a failed transfer to report (deliver() compares the error count) */
		uint8_t post = 0;
		fc_lock(&fs->mux);
		if ((fs->ring.count || drained < 0) && !fs->ring.posted) {
			fs->ring.posted = 1;
			post = 1;
		}
		fc_unlock(&fs->mux);
		if (post && modMessagePostToMachine(fs->the, NULL, 0, deliver, fs)) {
			fc_lock(&fs->mux);
			fs->ring.posted = 0;	/* queue full: the next drain tries again */
			fc_unlock(&fs->mux);
		}
	}
	xSemaphoreGive(fs->stopped);
	while (true)
		ulTaskNotifyTake(pdTRUE, portMAX_DELAY);	/* parked: close() deletes the task */
}

/*
 * Stops the timer, the interrupt and the task; releases the bus and the pin. Leaves the ring and the record.
 * A timer callback or ISR already running when it is removed only notifies the task, which is still alive
 * until the handshake below: nothing touches the record after this returns.
 */
static void samplerStop(FifoSamplerRecord *fs) {
	if (fs->timer) {
		esp_timer_stop(fs->timer);
		esp_timer_delete(fs->timer);
		fs->timer = NULL;
	}
	if (fs->interruptPin >= 0) {
		gpio_intr_disable(fs->interruptPin);
		gpio_isr_handler_remove(fs->interruptPin);
		builtinFreePin(fs->interruptPin);
		fs->interruptPin = -1;
	}
	if (fs->task) {
		fs->stop = 1;
		xTaskNotifyGive(fs->task);
		xSemaphoreTake(fs->stopped, portMAX_DELAY);	/* at most one drain: a few bounded I2C transfers */
		vTaskDelete(fs->task);
		fs->task = NULL;
	}
	if (fs->stopped) {
		vSemaphoreDelete(fs->stopped);
		fs->stopped = NULL;
	}
	if (fs->device) {
		i2c_master_bus_rm_device(fs->device);
		fs->device = NULL;
	}
	if (fs->bus && fs->ownsBus)
		i2c_del_master_bus(fs->bus);
	fs->bus = NULL;
}

static void samplerFree(FifoSamplerRecord *fs) {
	if (fs->ring.data)
		c_free(fs->ring.data);
	if (fs->scratch)
		c_free(fs->scratch);
	c_free(fs);
}

/* The host object's destructor (garbage collection of an object never closed, or the machine's end). */
static void xs_fifo_sampler_destructor(void *data) {
	FifoSamplerRecord *fs = data;
	if (!fs)
		return;
	samplerStop(fs);
	if (fs->ring.posted)
		fs->closed = 1;		/* a delivery may still come: it frees */
	else
		samplerFree(fs);
}

static void deliver(void *the, void *refcon, uint8_t *message, uint16_t messageLength) {
	FifoSamplerRecord *fs = refcon;
	uint32_t count;
	fc_lock(&fs->mux);
	fs->ring.posted = 0;	/* first: a drain from now on posts again */
	count = fs->ring.count;
	fc_unlock(&fs->mux);
	if (fs->closed) {
		samplerFree(fs);
		return;
	}
	xsBeginHost(the);
	xsmcVars(1);
	xsmcSetInteger(xsVar(0), (xsIntegerValue)count);
	xsCallFunction1(fs->callback, fs->obj, xsVar(0));	/* the wrapper reports new errors, then samples */
	xsEndHost(the);
}

static FifoSamplerRecord *sampler(xsMachine *the) {
	FifoSamplerRecord *fs = xsmcGetHostData(xsArg(0));
	if (!fs)
		xsUnknownError("closed");
	return fs;
}

/* open(fields: Int32Array, onReadable): a host object */
void xs_fifo_sampler_open(xsMachine *the) {
	int32_t f[FC_FIELD_COUNT];
	void *data;
	xsUnsignedValue length;
	const char *bad;
	FifoSamplerRecord *fs;
	esp_err_t err;

	xsmcGetBufferReadable(xsArg(0), &data, &length);
	if (length < sizeof(f))
		xsRangeError("fifo sampler: fields");
	c_memcpy(f, data, sizeof(f));

	xsResult = xsNewHostObject(xs_fifo_sampler_destructor);	/* first: nothing to undo if it throws */
	fs = c_calloc(1, sizeof(FifoSamplerRecord));
	if (!fs)
		xsUnknownError("no memory");
	fs->interruptPin = -1;
	bad = fc_program_init(&fs->program, f, FC_FIELD_COUNT);
	if (bad) {
		c_free(fs);
		xsRangeError("fifo sampler: invalid %s", bad);
	}
	if (!GPIO_IS_VALID_OUTPUT_GPIO(f[FC_DATA_PIN]) || !GPIO_IS_VALID_OUTPUT_GPIO(f[FC_CLOCK_PIN]) ||
		(f[FC_ADDRESS] < 0) || (f[FC_ADDRESS] > 127) || (f[FC_HZ] <= 0) || (f[FC_PORT] >= I2C_NUM_MAX) ||
		((f[FC_INTERRUPT_PIN] >= 0) && !GPIO_IS_VALID_GPIO(f[FC_INTERRUPT_PIN]))) {
		c_free(fs);
		xsRangeError("fifo sampler: invalid pins, address, hz or port");
	}

	fs->the = the;
	portMUX_INITIALIZE(&fs->mux);
	fs->ring.lock = &fs->mux;
	fs->ring.capacity = (uint32_t)f[FC_CAPACITY];
	fs->ring.sampleBytes = fs->program.sampleBytes;
	fs->ring.data = c_malloc((size_t)fs->ring.capacity * fs->ring.sampleBytes);
	fs->scratch = c_malloc((size_t)fs->program.depth * fs->program.sampleBytes);
	fs->stopped = xSemaphoreCreateBinary();
	if (!fs->ring.data || !fs->scratch || !fs->stopped) {
		samplerStop(fs);
		samplerFree(fs);
		xsUnknownError("no memory");
	}

	/* the bus the SMBus of the driver opened on this port, or a new one on the pins */
	i2c_port_num_t port = (f[FC_PORT] < 0) ? 0 : (i2c_port_num_t)f[FC_PORT];
	if (ESP_OK != i2c_master_get_bus_handle(port, &fs->bus)) {
		i2c_master_bus_config_t busC = {
			.i2c_port = port,
			.sda_io_num = f[FC_DATA_PIN],
			.scl_io_num = f[FC_CLOCK_PIN],
			.clk_source = I2C_CLK_SRC_DEFAULT,
			.flags.enable_internal_pullup = 1,
		};
		fs->bus = NULL;
		if (ESP_OK != i2c_new_master_bus(&busC, &fs->bus)) {
			samplerStop(fs);
			samplerFree(fs);
			xsUnknownError("fifo sampler: can't create bus");
		}
		fs->ownsBus = 1;
	}
	i2c_device_config_t deviceC = {
		.dev_addr_length = I2C_ADDR_BIT_LEN_7,
		.device_address = (uint16_t)f[FC_ADDRESS],
		.scl_speed_hz = (uint32_t)f[FC_HZ],
	};
	if (ESP_OK != i2c_master_bus_add_device(fs->bus, &deviceC, &fs->device)) {
		fs->device = NULL;
		samplerStop(fs);
		samplerFree(fs);
		xsUnknownError("fifo sampler: can't add device");
	}

	if (pdPASS != xTaskCreatePinnedToCore(samplerTask, "fifosampler", MODDEF_FIFOSAMPLER_STACK, fs, MODDEF_FIFOSAMPLER_PRIORITY, &fs->task, MODDEF_FIFOSAMPLER_CORE)) {
		fs->task = NULL;
		samplerStop(fs);
		samplerFree(fs);
		xsUnknownError("fifo sampler: can't create task");
	}

	const esp_timer_create_args_t timerC = {
		.callback = pollTimer,
		.arg = fs,
		.dispatch_method = ESP_TIMER_TASK,
		.name = "fifosampler",
	};
	err = esp_timer_create(&timerC, &fs->timer);
	if (ESP_OK == err)
		err = esp_timer_start_periodic(fs->timer, (uint64_t)f[FC_POLL_MS] * 1000);
	if (ESP_OK != err) {
		samplerStop(fs);
		samplerFree(fs);
		xsUnknownError("fifo sampler: can't start timer");
	}

	if (f[FC_INTERRUPT_PIN] >= 0) {
		int pin = f[FC_INTERRUPT_PIN], mode = f[FC_INTERRUPT_MODE], edge = f[FC_INTERRUPT_EDGE];
		if (!builtinIsPinFree(pin)) {
			samplerStop(fs);
			samplerFree(fs);
			xsRangeError("fifo sampler: interrupt pin in use (close its Digital first)");
		}
		gpio_config_t io = {
			.pin_bit_mask = 1ULL << pin,
			.mode = GPIO_MODE_INPUT,
			.pull_up_en = (mode & 1) ? GPIO_PULLUP_ENABLE : GPIO_PULLUP_DISABLE,
			.pull_down_en = (mode & 2) ? GPIO_PULLDOWN_ENABLE : GPIO_PULLDOWN_DISABLE,
			.intr_type = (3 == edge) ? GPIO_INTR_ANYEDGE : (2 == edge) ? GPIO_INTR_NEGEDGE : GPIO_INTR_POSEDGE,
		};
		err = gpio_config(&io);
		if (ESP_OK == err) {
			err = gpio_install_isr_service(0);
			if (ESP_ERR_INVALID_STATE == err)
				err = ESP_OK;		/* already installed (by Digital) */
		}
		if (ESP_OK == err)
			err = gpio_isr_handler_add(pin, watermarkISR, fs);
		if (ESP_OK != err) {
			samplerStop(fs);
			samplerFree(fs);
			xsUnknownError("fifo sampler: can't attach interrupt");
		}
		builtinUsePin(pin);
		fs->interruptPin = pin;
		gpio_intr_enable(pin);
	}

	xsmcSetHostData(xsResult, fs);
	fs->obj = xsResult;
	fs->callback = xsArg(1);
	xsRemember(fs->obj);
	xsRemember(fs->callback);
	xTaskNotifyGive(fs->task);		/* a first drain now: the FIFO may already be above its watermark */
}

/* read(native, into, maxSamples): whole samples, oldest first; returns the count */
void xs_fifo_sampler_read(xsMachine *the) {
	FifoSamplerRecord *fs = sampler(the);
	void *data;
	xsUnsignedValue length;
	xsIntegerValue max = xsmcToInteger(xsArg(2));
	xsmcGetBufferWritable(xsArg(1), &data, &length);
	xsmcSetInteger(xsResult, (xsIntegerValue)fc_ring_read(&fs->ring, data, length, (max > 0) ? (uint32_t)max : 0));
}

/* available(native): samples in the ring */
void xs_fifo_sampler_available(xsMachine *the) {
	FifoSamplerRecord *fs = sampler(the);
	uint32_t count;
	fc_lock(&fs->mux);
	count = fs->ring.count;
	fc_unlock(&fs->mux);
	xsmcSetInteger(xsResult, (xsIntegerValue)count);
}

/* counters(native, out: Int32Array(5)): newestAt, lost, overruns, errors, lastError */
void xs_fifo_sampler_counters(xsMachine *the) {
	FifoSamplerRecord *fs = sampler(the);
	void *data;
	xsUnsignedValue length;
	int32_t c[5];
	xsmcGetBufferWritable(xsArg(1), &data, &length);
	if (length < sizeof(c))
		xsRangeError("fifo sampler: counters");
	fc_lock(&fs->mux);
	c[0] = (int32_t)fs->ring.newestAt;	/* as Time.ticks: modMilliseconds() as an integer */
	c[1] = (int32_t)fs->ring.lost;
	c[2] = (int32_t)fs->ring.overruns;
	c[3] = (int32_t)fs->ring.errors;
	c[4] = fs->ring.lastError;
	fc_unlock(&fs->mux);
	c_memcpy(data, c, sizeof(c));
}

/* close(native): idempotent */
void xs_fifo_sampler_close(xsMachine *the) {
	FifoSamplerRecord *fs = xsmcGetHostData(xsArg(0));
	if (!fs)
		return;
	xsForget(fs->obj);
	xsForget(fs->callback);
	xsmcSetHostData(xsArg(0), NULL);
	xs_fifo_sampler_destructor(fs);
}
