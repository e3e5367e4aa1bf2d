#!/usr/bin/env python3
"""Writes the board profiles (board/NAME.ini) and their boot configuration
fragments (board/boot/NAME.txt) from the pieces below: one profile per
board, reader and display. Edit the pieces and run it again; the package
tests check that the files in the tree match what it writes."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

BOARDS = {
    "pi4": {
        "title": "Raspberry Pi 4 Model B",
        "dsi": True,
        # BCM2711: the I2C controller cannot stretch the clock.
        "i2c_stretch": False,
        # The header's GPIO chip, by label: its number can change.
        "gpio_chip": "pinctrl-bcm2711",
        "boot": ["[pi4]", "arm_64bit=1", "dtoverlay=vc4-kms-v3d"],
    },
    "pi5": {
        "title": "Raspberry Pi 5",
        "dsi": True,
        "i2c_stretch": True,
        # The header's GPIOs are on the RP1 south bridge, not on gpiochip0
        # with every kernel.
        "gpio_chip": "pinctrl-rp1",
        "boot": ["[pi5]", "dtoverlay=vc4-kms-v3d"],
    },
    "zero2w": {
        "title": "Raspberry Pi Zero 2 W",
        # The Zero 2 W has no DSI display connector.
        "dsi": False,
        "i2c_stretch": False,
        "gpio_chip": "pinctrl-bcm2835",
        "boot": ["[pi02]", "arm_64bit=1", "dtoverlay=vc4-kms-v3d"],
    },
}

READERS = {
    "pn532-uart": {
        "title": "PN532 on the PL011 UART (GPIO 14 TX, 15 RX)",
        "connstring": lambda b: "pn532_uart:/dev/ttyAMA0",
        "health": 5000,
        "boot": lambda b: (
            # Pi 5: UART0 on GPIO 14/15 is a PL011 of its own; Bluetooth
            # has another. Older boards: move Bluetooth off the PL011 so the
            # GPIO pins get it rather than the mini UART, whose clock follows
            # the core clock.
            ["dtparam=uart0=on"] if b == "pi5"
            else ["enable_uart=1", "dtoverlay=disable-bt"]),
        "cmdline_drop": ["console=serial0,115200"],
        "notes": [
            "The PL011 UART, not the mini UART: disable-bt moves Bluetooth off it"
            " (Pi 4, Zero 2 W); `systemctl disable hciuart` then.",
            "No serial console on the UART: console=serial0 is removed from cmdline.txt.",
            "Set the PN532 board's switches to HSU (UART).",
        ],
    },
    "pn532-spi": {
        "title": "PN532 on SPI0 (CE0)",
        "connstring": lambda b: "pn532_spi:/dev/spidev0.0:500000",
        "health": 5000,
        "boot": lambda b: ["dtparam=spi=on"],
        "cmdline_drop": [],
        "notes": [
            "Set the PN532 board's switches to SPI. The PN532 sends LSB first;"
            " libnfc reverses the bits itself, so 500 kHz is a safe clock.",
            "A resistive touch controller on SPI (ADS7846/XPT2046 HATs) also wants"
            " CE0: move one of them to CE1 (/dev/spidev0.1).",
        ],
    },
    "pn532-i2c": {
        "title": "PN532 on I2C",
        "connstring": lambda b: "pn532_i2c:/dev/i2c-1" if BOARDS[b]["i2c_stretch"]
        else "pn532_i2c:/dev/i2c-3",
        # libnfc waits between I2C transactions: each poll is slow.
        "health": 10000,
        "boot": lambda b: (
            ["dtparam=i2c_arm=on", "dtparam=i2c_arm_baudrate=100000"]
            if BOARDS[b]["i2c_stretch"] else
            # The hardware controller cannot clock-stretch, which the PN532
            # needs: a bit-banged bus on the same pins can.
            ["dtparam=i2c_arm=off",
             "dtoverlay=i2c-gpio,bus=3,i2c_gpio_sda=2,i2c_gpio_scl=3,i2c_gpio_delay_us=2"]),
        "cmdline_drop": [],
        "notes": [
            "Set the PN532 board's switches to I2C.",
            "Pis up to the 4 (and the Zero 2 W) cannot do I2C clock stretching, which"
            " the PN532 relies on: these profiles use a bit-banged bus (i2c-gpio,"
            " /dev/i2c-3) on the same pins instead of the hardware controller.",
            "libnfc waits between I2C transactions, so polling is slower than over"
            " UART or SPI; prefer those when the wiring allows.",
        ],
    },
    "acr122u": {
        "title": "ACR122U on USB",
        "connstring": lambda b: "acr122_usb",
        "health": 5000,
        "boot": lambda b: [],
        "cmdline_drop": [],
        "notes": [
            "pcscd must not hold the reader: do not install pcscd, or"
            " `systemctl mask pcscd.socket pcscd.service`.",
            "The kernel's pn533_usb driver would claim it: the package blacklists"
            " pn533_usb, pn533 and nfc (/usr/lib/modprobe.d/convene-nfc.conf).",
            "Its default polling is slow (several hundred ms per round) and it beeps"
            " on every read; keep [reader] modulations to iso14443a.",
        ],
    },
}

DISPLAYS = {
    "dsi7": {
        "title": "official 7\" touch display (DSI, 800x480)",
        "needs_dsi": True,
        "width": 800, "height": 480, "rotation": 0,
        "boot": lambda b: ["dtoverlay=vc4-kms-dsi-7inch"],
        "cmdline_add": [],
        "notes": [
            "Touch comes from the display's own controller (ft5x06) through the"
            " overlay: no calibration.",
            "Mounted upside down in its case: set [display] rotation = 180.",
            "On its side (portrait): rotation = 90 (the panel's right edge up) or"
            " 270 (left edge up), with width = 480 and height = 800.",
            "On a Pi 5 with the cable in the other DSI port: dtoverlay=vc4-kms-dsi-7inch,dsi0.",
        ],
    },
    "hdmi": {
        "title": "HDMI touch screen (1024x600, USB touch)",
        "needs_dsi": False,
        "width": 1024, "height": 600, "rotation": 0,
        "boot": lambda b: [],
        # KMS ignores config.txt's hdmi_* settings: the mode, forced on
        # even when the screen powers up after the Pi, goes on the kernel
        # command line.
        "cmdline_add": ["video=HDMI-A-1:1024x600@60D"],
        # libinput's calibration matrix; identity changes nothing.
        "touch_calibration": "1 0 0 0 1 0",
        "notes": [
            "Touch arrives over USB as an absolute HID digitizer (hid-multitouch),"
            " usually right as it is. Resistive or cheap USB controllers may land"
            " off the finger: measure [display] touch_calibration as docs/config.md"
            " (Rotation and touch) says, or copy a LIBINPUT_CALIBRATION_MATRIX"
            " from the screen's vendor. Resistive SPI controllers also need their"
            " vendor's overlay.",
            "Other sizes: change [display] width/height and video= in cmdline.txt.",
            "On its side (portrait): rotation = 90 or 270 with width = 600 and"
            " height = 1024; the calibration stays as measured at rotation 0.",
        ],
    },
}

COMMON_CMDLINE_ADD = ["consoleblank=0", "vt.global_cursor_default=0"]


def profiles():
    for b in BOARDS:
        for r in READERS:
            for d in DISPLAYS:
                if DISPLAYS[d]["needs_dsi"] and not BOARDS[b]["dsi"]:
                    continue
                yield b, r, d


def ini(b, r, d):
    B, R, D = BOARDS[b], READERS[r], DISPLAYS[d]
    name = f"{b}-{r}-{d}"
    lines = [
        f"; Board profile {name}: {B['title']}, {R['title']}, {D['title']}.",
        "; Generated by board/make-profiles.py. Applied under the kiosk's own",
        "; config: any key set in /etc/convene/convene.conf wins.",
        f"; Boot configuration: board/boot/{name}.txt (config.txt and cmdline.txt).",
    ]
    for n in R["notes"] + D["notes"]:
        if "Pi 5" in n and b != "pi5":
            continue
        lines.append("; - " + n)
    lines += [
        "",
        "[reader]",
        "driver = nfc",
        f"connstring = {R['connstring'](b)}",
        "modulations = iso14443a",
        f"health_interval_ms = {R['health']}",
        "",
        "[display]",
        f"width = {D['width']}",
        f"height = {D['height']}",
        "fullscreen = true",
        f"rotation = {D['rotation']}",
        # KMSDRM has no blocking event wait: poll input at 50 Hz.
        "input_poll_ms = 20",
    ]
    if "touch_calibration" in D:
        lines += [
            "; The touch sensor onto the picture, libinput's matrix a b c d e f;",
            "; 1 0 0 0 1 0 changes nothing. To measure it: docs/config.md, Rotation and touch.",
            f"touch_calibration = {D['touch_calibration']}",
        ]
    lines.append("")
    # Tap feedback is wired by hand, so it stays an example: uncomment it
    # in /etc/convene/convene.conf (docs/board-setup.md has the wiring).
    lines += [
        "; Tap feedback (optional): an LED on GPIO 17 (pin 11) and an active buzzer",
        "; on GPIO 27 (pin 13), through a transistor. Copy into convene.conf and",
        "; uncomment; docs/board-setup.md shows the wiring.",
        ";[feedback]",
        f";chip = {B['gpio_chip']}",
        ";led_line = 17",
        ";buzzer_line = 27",
        ";active_low = false",
        "",
    ]
    return "\n".join(lines)


def boot(b, r, d):
    B, R, D = BOARDS[b], READERS[r], DISPLAYS[d]
    name = f"{b}-{r}-{d}"
    lines = [
        f"# config.txt fragment for the board profile {name}.",
        "# Generated by board/make-profiles.py; appended to the boot partition's",
        "# config.txt. Lines starting '#cmdline+' and '#cmdline-' are what to add to",
        "# and remove from cmdline.txt (the image recipe applies them).",
    ]
    for c in R["cmdline_drop"]:
        lines.append("#cmdline- " + c)
    for c in COMMON_CMDLINE_ADD + D["cmdline_add"]:
        lines.append("#cmdline+ " + c)
    lines += B["boot"] + R["boot"](b) + D["boot"](b) + ["[all]", ""]
    return "\n".join(lines)


def main():
    check = "--check" in sys.argv
    stale = []
    want = {}
    for b, r, d in profiles():
        name = f"{b}-{r}-{d}"
        want[os.path.join(HERE, name + ".ini")] = ini(b, r, d)
        want[os.path.join(HERE, "boot", name + ".txt")] = boot(b, r, d)
    for path, text in want.items():
        old = open(path).read() if os.path.exists(path) else None
        if old != text:
            stale.append(path)
            if not check:
                with open(path, "w") as f:
                    f.write(text)
    if check and stale:
        print("out of date (run board/make-profiles.py):", *stale, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
