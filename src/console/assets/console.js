// orgvault console: progressive enhancement only (every page works without it).
// Loaded as a same-origin file: the Content-Security-Policy allows no inline script.
document.addEventListener('click', (event) => {
  const button = event.target.closest('[data-copy]');
  if (!button) return;
  const field = document.getElementById(button.getAttribute('data-copy'));
  if (!field) return;
  field.select();
  const done = () => {
    button.textContent = 'Copied';
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(field.value).then(done, () => document.execCommand('copy') && done());
  } else if (document.execCommand('copy')) {
    done();
  }
});

// A manifest file chosen in the install form is read into the textarea (nothing is uploaded until submit).
document.addEventListener('change', (event) => {
  const input = event.target;
  if (!(input instanceof HTMLInputElement) || !input.hasAttribute('data-load-into')) return;
  const target = document.getElementById(input.getAttribute('data-load-into'));
  const file = input.files?.[0];
  if (!target || !file) return;
  file.text().then((text) => {
    target.value = text;
  });
});

// The OAuth "Connect" page: follow the provider link at once (a script navigation, which the
// page's CSP form-action does not govern; the link works without script too).
const follow = document.querySelector('a[data-follow]');
if (follow) window.location.assign(follow.href);
