"""The offline demo: the real Application (same handlers, database code and content) talks over real HTTP to
the local Bot API stand-in, and this terminal plays the Telegram user.

Input: a button number, `press <label>`, `press* <label>` (press while that button is there), `wait <seconds>`,
any other text (sent as a message, commands included), or an empty line. `--script FILE` replays such lines.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr

from bot.client import SimClient
from bot.clock import Clock, FastClock, SystemClock
from bot.context import AppType, Builder
from bot.lifecycle import polling
from bot.settings import Settings
from bot.standin import Call, SimUser, StandIn
from content import Content
from content.site.build import build_site
from content.site.serve import DEFAULT_PORT, site_server

DEMO_TOKEN = "1000:offline-demo-token"
DEMO_USERNAME = "jpsim_demo_bot"
DEMO_USER_ID = 10_001
REMINDER_TICK = 1.0  # seconds between reminder runs in the demo, so a fast clock shows them promptly
BANNER = """\
================================================================================
 OFFLINE DEMO - no Telegram, no network. The real bot runs against a local
 stand-in of the Telegram Bot API; you play the Telegram user in this terminal.
 Type a button number, any text or a command (/start, /checklist, /reminders,
 /share, /settings, /language, /help); Ctrl-D or :quit leaves.
 Set TELEGRAM_BOT_TOKEN to run the real bot instead.
================================================================================"""
SHOWN_METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto")


def _button_label(button: dict[str, Any]) -> str:
    if "url" in button:
        return f"{button['text']} (link)"
    if "switch_inline_query" in button:
        return f"{button['text']} (share)"
    return str(button["text"])


class Terminal:
    """Prints what the bot does in the user's chat, and remembers the newest keyboard to press."""

    def __init__(self, standin: StandIn, user: SimUser, out: TextIO) -> None:
        self.standin, self.user, self.out = standin, user, out
        # Messages that still have a keyboard, the most recently shown last; buttons are numbered on the last.
        self.keyboards: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = {}

    @property
    def message(self) -> dict[str, Any] | None:
        return next(reversed(self.keyboards.values()))[0] if self.keyboards else None

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return next(reversed(self.keyboards.values()))[1] if self.keyboards else []

    def on_call(self, call: Call) -> None:
        if not call.ok:
            return
        if call.method in SHOWN_METHODS and call.params.get("chat_id") == self.user.id:
            self.show(call.result, edited=call.method.startswith("edit"))
        elif call.method == "answerCallbackQuery" and call.params.get("text"):
            self.print(f"  (notice) {call.params['text']}")
        elif call.method == "answerInlineQuery":
            for result in call.params.get("results", []):
                self.print(f"  (inline result) {result.get('title')}")

    def print(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def show(self, message: dict[str, Any], *, edited: bool) -> None:
        head = "bot (edited)" if edited else "bot"
        lines = [f"+-- {head} " + "-" * (60 - len(head))]
        if "photo" in message:
            lines.append(f"| [photo: QR code] {message.get('caption', '')}")
        for text_line in str(message.get("text", "")).splitlines():
            lines.append(f"| {text_line}")
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        self.keyboards.pop(message["message_id"], None)
        if rows:
            buttons = [button for row in rows for button in row]
            self.keyboards[message["message_id"]] = (message, buttons)
            n = 0
            for row in rows:
                cells = []
                for button in row:
                    n += 1
                    cells.append(f"[{n}] {_button_label(button)}")
                lines.append("| " + "   ".join(cells))
        lines.append("+" + "-" * 64)
        self.print("\n".join(lines))

    def find(self, label: str) -> int | None:
        return next((i for i, b in enumerate(self.buttons) if label in b["text"]), None)


class DemoSession:
    def __init__(self, app: AppType, standin: StandIn, terminal: Terminal) -> None:
        self.standin, self.terminal = standin, terminal
        self.client = SimClient(standin, app, terminal.user)

    async def send(self, text: str) -> None:
        self.terminal.print(f"you> {text}")
        await self.client.send(text)

    async def press(self, index: int) -> bool:
        terminal = self.terminal
        if not 0 <= index < len(terminal.buttons) or terminal.message is None:
            terminal.print(f"  (no button {index + 1} on the last screen)")
            return False
        button = terminal.buttons[index]
        terminal.print(f"you> [{index + 1}] {button['text']}")
        if "callback_data" in button:
            await self.client.tap(terminal.message, button["callback_data"])
        elif "switch_inline_query" in button:
            terminal.print(
                f"  (Telegram would open the chat picker with: @{self.standin.bot_user['username']} {button['switch_inline_query']})"
            )
            await self.client.inline(button["switch_inline_query"])
        else:
            url = str(button.get("url", ""))
            terminal.print(f"  (opens {url})")
            start = parse_qs(urlsplit(url).query).get("start")
            if start:
                await self.client.send(f"/start {start[0]}")
        return True

    async def handle(self, line: str) -> bool:
        """Run one input line; False means leave."""
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        if line in (":quit", ":q"):
            return False
        if line.isdigit():
            await self.press(int(line) - 1)
        elif line.startswith(("press ", "press* ")):
            command, label = line.split(" ", 1)
            pressed = False
            while (index := self.terminal.find(label)) is not None:
                pressed = await self.press(index)
                if command == "press":
                    break
            if not pressed:
                self.terminal.print(f"  (no button {label!r} on the last screen)")
        elif line.startswith("wait "):
            await asyncio.sleep(float(line.split()[1]))
        else:
            await self.send(line)
        return True


@asynccontextmanager
async def demo_app(
    settings: Settings, content: Content, clock: Clock, build: Builder
) -> AsyncIterator[tuple[AppType, StandIn]]:
    standin = StandIn(DEMO_TOKEN, username=DEMO_USERNAME)
    await standin.start()
    demo_settings = settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(DEMO_TOKEN),
            "telegram_api_base_url": standin.base_url,
            "bot_reminder_interval": REMINDER_TICK,
            "bot_webhook_url": None,
            "bot_private_chat_rate": 0.0,  # the stand-in here is no Telegram: nothing to pace for
        }
    )
    try:
        async with polling(build(demo_settings, content, clock=clock)) as app:
            yield app, standin
    finally:
        await standin.stop()


async def run_demo(
    settings: Settings,
    content: Content,
    build: Builder,
    *,
    lines: Callable[[], AsyncIterator[str]],
    fast_clock: float | None,
    language: str,
    out: TextIO,
    greet: bool,
) -> None:
    print(BANNER, file=out, flush=True)
    if settings.bot_web_base_url:
        print(
            f" Web pages of every procedure: {settings.bot_web_base_url}/ (shared links open there)",
            file=out,
            flush=True,
        )
    if fast_clock:
        print(f" Fast clock: {fast_clock:g}x - a minute passes every {60 / fast_clock:.2g} s.", file=out, flush=True)
    clock: Clock = FastClock(fast_clock) if fast_clock else SystemClock()
    user = SimUser(DEMO_USER_ID, "You", language)
    async with demo_app(settings, content, clock, build) as (app, standin):
        terminal = Terminal(standin, user, out)
        standin.listeners.append(terminal.on_call)
        session = DemoSession(app, standin, terminal)
        if greet:
            await session.send("/start")
        async for line in lines():
            if not await session.handle(line):
                break


@contextmanager
def demo_site(content: Content, root: Path, out: TextIO, port: int = DEFAULT_PORT) -> Iterator[str | None]:
    """The static site built for the demo bot and served on 127.0.0.1, so the web links it shares open;
    yields its address (None when the port is taken: the demo then runs without web links)."""
    try:
        server = site_server(root, port=port)
    except OSError as exc:
        print(f" Web pages not served: port {port} is taken ({exc.strerror}).", file=out, flush=True)
        yield None
        return
    base = f"http://127.0.0.1:{server.server_address[1]}"
    build_site(content, root, bot_username=DEMO_USERNAME, base_url=base)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def _stdin_lines() -> Callable[[], AsyncIterator[str]]:
    async def read() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        while True:
            print("> ", end="", flush=True)
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return
            yield line

    return read


def _script_lines(path: Path) -> Callable[[], AsyncIterator[str]]:
    script = path.read_text(encoding="utf-8").splitlines()

    async def read() -> AsyncIterator[str]:
        for line in script:
            yield line

    return read


def main(
    settings: Settings,
    content: Content,
    build: Builder,
    *,
    script: Path | None,
    fast_clock: float | None,
    language: str,
) -> None:
    if script is not None:
        # A replay starts from an empty database, so the same script gives the same transcript.
        with tempfile.TemporaryDirectory() as folder:
            replay = settings.model_copy(update={"bot_db_path": Path(folder) / "demo.sqlite3"})
            asyncio.run(
                run_demo(
                    replay,
                    content,
                    build,
                    lines=_script_lines(script),
                    fast_clock=fast_clock,
                    language=language,
                    out=sys.stdout,
                    greet=False,
                )
            )
        return
    with tempfile.TemporaryDirectory() as folder, demo_site(content, Path(folder), sys.stdout) as web_base:
        db_path = settings.bot_db_path.with_name("demo.sqlite3")
        interactive = settings.model_copy(update={"bot_db_path": db_path, "bot_web_base_url": web_base})
        asyncio.run(
            run_demo(
                interactive,
                content,
                build,
                lines=_stdin_lines(),
                fast_clock=fast_clock,
                language=language,
                out=sys.stdout,
                greet=True,
            )
        )
