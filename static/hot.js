// The "Hot now" page keeps itself current: every 30 seconds it reads the page again and
// swaps in the new list of alerts, unless the person unticked "Update by itself". Screen
// readers hear new alerts through the list's polite live region.
(() => {
  const box = document.getElementById('auto-update');
  const list = () => document.getElementById('hot-list');
  const refresh = async () => {
    if (!box || !box.checked || !list()) return;
    try {
      const r = await fetch(location.href, { headers: { Accept: 'text/html' }, credentials: 'same-origin' });
      if (!r.ok) return;
      const page = new DOMParser().parseFromString(await r.text(), 'text/html');
      const fresh = page.getElementById('hot-list');
      if (fresh) list().replaceChildren(...fresh.childNodes);
      const stamp = document.getElementById('updated');
      const freshStamp = page.getElementById('updated');
      if (stamp && freshStamp) stamp.textContent = freshStamp.textContent;
    } catch (_) {
      // Offline for a moment: the next round tries again.
    }
  };
  setInterval(refresh, 30000);
})();
