"""A phone-sized browser context (390x844, touch, a mobile viewport), signed in."""

from playwright.sync_api import Browser, Page

from tests.browser.conftest import signed_in

PHONE = {"width": 390, "height": 844}


def phone_page(browser: Browser, base_url, user=None, **options) -> Page:
    """A new page of a phone-sized context (closed with the browser), signed in as `user`."""
    context = browser.new_context(
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,  # honours <meta name=viewport>, as a phone does
        device_scale_factor=2,
        permissions=["clipboard-read", "clipboard-write"],
        **options,
    )
    page = context.new_page()
    if user is not None:
        signed_in(page, base_url, user.get_username())
    return page


def page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def on_screen(page: Page, locator) -> bool:
    """Whether the whole of `locator` lies inside the viewport."""
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )
