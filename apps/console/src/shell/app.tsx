import { useEffect, useRef } from 'preact/hooks';
import { AuditPage } from '../audit/audit.page';
import { ConsumerPage } from '../consumers/consumer.page';
import { DeadLetterListPage } from '../dead-letters/dead-letter-list.page';
import { DeadLetterPage } from '../dead-letters/dead-letter.page';
import { OverviewPage } from '../overview/overview.page';
import { PublishPage } from '../publish/publish.page';
import { signOut, useSession } from '../session/session.store';
import { SignInPage } from '../session/sign-in.page';
import { TracePage } from '../traces/trace.page';
import { href, useRoute, type Route } from './hash-router';

export function App() {
  const session = useSession();
  if (!session.principal) return <SignInPage notice={session.notice} />;
  return <Shell principalId={session.principal.id} />;
}

function Shell({ principalId }: { principalId: string }) {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // A new page moves focus to its content, as a full page load would, so keyboard and screen-reader users start there.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [route]);

  const section = route.page === 'consumer' ? 'overview' : route.page === 'dead-letter' ? 'dlq' : route.page;
  const link = (target: string, name: string, label: string) => (
    <a href={target} aria-current={section === name ? 'page' : undefined}>
      {label}
    </a>
  );

  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">nestjet</span>
        <nav aria-label="Main">
          {link(href.overview(), 'overview', 'Overview')}
          {link(href.dlq(), 'dlq', 'Dead letters')}
          {link(href.publish(), 'publish', 'Publish')}
          {link(href.audit(), 'audit', 'Audit')}
        </nav>
        <span class="who" title="Signed in as">
          {principalId}
        </span>
        <button type="button" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} />
      </main>
    </div>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage />;
    case 'consumer':
      return <ConsumerPage key={`${route.stream}/${route.name}`} stream={route.stream} name={route.name} />;
    case 'dlq':
      return <DeadLetterListPage />;
    case 'dead-letter':
      return <DeadLetterPage key={route.id} id={route.id} />;
    case 'publish':
      return <PublishPage />;
    case 'trace':
      return <TracePage key={route.traceId} traceId={route.traceId} />;
    case 'audit':
      return <AuditPage />;
    case 'not-found':
      return (
        <section>
          <h1>Page not found</h1>
          <p>
            Nothing lives at <code>#{route.path}</code>. <a href={href.overview()}>Go to the start page</a>.
          </p>
        </section>
      );
  }
}
