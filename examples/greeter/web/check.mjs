// Loads the page in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core),
// waits until its calls are done, prints what the page shows as one JSON line and keeps a
// screenshot: `node check.mjs <page url> <screenshot.png>`.
import { chromium } from "playwright-core";

const [url, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  const page = await browser.newPage();
  const console = [];
  page.on("console", (message) => console.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => console.push(`pageerror: ${error.message}`));
  await page.goto(url);
  await page.waitForSelector("body[data-done=true]", { timeout: 15000 });
  const text = async (id) => (await page.textContent(`#${id}`)) ?? "";
  const shown = {
    unary: await text("unary"),
    stream: (await text("stream")).split("\n"),
    rest: await text("rest"),
    console,
  };
  await page.screenshot({ path: screenshot, fullPage: true });
  process.stdout.write(JSON.stringify(shown) + "\n");
} finally {
  await browser.close();
}
