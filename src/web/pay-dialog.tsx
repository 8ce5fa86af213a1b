/** @jsxImportSource hono/jsx/dom */
import { useEffect, useRef, useState } from "hono/jsx/dom";
import { errorText, loadStripe, payments } from "./shared";

export /** A purchase that answered 402: the buyer confirms it here with Stripe's Payment Element; the webhook applies it. */
function PayDialog({ clientSecret, what, close }: { clientSecret: string; what: string; close: (outcome: string) => void }) {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const stripe = useRef<any>(null);
  const elements = useRef<any>(null);
  useEffect(() => {
    payments.then(async (p) => {
      if (!p?.publishable_key || !p.stripe_js) return setError("Card payments are not set up on this server.");
      const Stripe = await loadStripe(p.stripe_js);
      stripe.current = Stripe(p.publishable_key);
      elements.current = stripe.current.elements({ clientSecret });
      elements.current.create("payment").mount("#payment-element");
    }).catch((e: unknown) => setError(errorText(e)));
  }, []);
  const pay = async (e: Event) => {
    e.preventDefault();
    if (!stripe.current) return;
    setBusy(true);
    setError("");
    const result = await stripe.current.confirmPayment({ elements: elements.current, redirect: "if_required", confirmParams: { return_url: location.href } });
    setBusy(false);
    if (result.error) return setError(result.error.message ?? "The payment did not go through.");
    close(`${what}: payment confirmed.`);
  };
  return (
    <form class="pay" data-testid="pay" onSubmit={pay}>
      <h2>Pay for {what.toLowerCase()}</h2>
      <div id="payment-element" />
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>{busy ? "Paying…" : "Pay"}</button>
      <button type="button" onClick={() => close(`${what}: payment not finished; nothing was charged.`)}>Cancel</button>
    </form>
  );
}
