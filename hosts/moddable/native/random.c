/*
 * host.fillRandom (hosts/moddable/random.js): bytes from the platform's
 * cryptographically strong source, for the setup key (docs/provisioning.md).
 *
 * ESP32: esp_fill_random, the hardware RNG. Its output is truly random only
 * while the RF subsystem runs (ESP-IDF "Random Number Generation"): the device
 * entry starts the Wi-Fi station before the field node makes its key.
 * Elsewhere (the lin build): getrandom(2), the kernel's CSPRNG. The SDK's
 * `rng` module is not used: it is RC4 seeded with 16 bytes of c_rand.
 */
#include "xsmc.h"
#include "xsHost.h"

#if ESP32
	#include "esp_random.h"
#else
	#include <errno.h>
	#include <sys/random.h>
#endif

void xs_fill_random(xsMachine *the)
{
	void *data;
	xsUnsignedValue length;

	xsmcGetBufferWritable(xsArg(0), &data, &length);
#if ESP32
	esp_fill_random(data, length);
#else
	uint8_t *bytes = data;
	while (length > 0) {
		ssize_t got = getrandom(bytes, length, 0);
		if (got < 0) {
			if (EINTR == errno)
				continue;
			xsUnknownError("getrandom failed");
		}
		bytes += got;
		length -= (xsUnsignedValue)got;
	}
#endif
}
