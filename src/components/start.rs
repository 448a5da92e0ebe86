//! The start page: the problem these patterns solve, one picture of an order's path through the
//! services, and the first thing to do. "About the patterns" (the articles, the rules, Foldlab's
//! own) waits behind a disclosure at the bottom; `/about` shows this page too.

use crate::address::href;
use crate::lab::lesson_text::FIRST_LESSON;
use leptos::prelude::*;

/// The start page.
#[component]
pub fn Start() -> impl IntoView {
    view! {
        <article class="start">
            <section class="start-intro" aria-labelledby="start-heading">
                <h2 id="start-heading">"Start here"</h2>
                <p class="start-lead">
                    "A service that changes its database must also publish an event for the other services, and both must happen: a crash between them leaves the system inconsistent (Part 2, Reliably Updating State and Publishing Events)."
                </p>
                <p>
                    "A distributed transaction (2PC) is not a viable option (Part 1, Problem #2 - Implementing Transactions That Span Services). Event sourcing makes saving the event the update: the events are the state, so there are no longer two writes to keep together (Part 2, Developing Microservices with Event Sourcing)."
                </p>
                <p>
                    <a href=href("/designs")>"Designs"</a>
                    ": try the other ways to update and publish, and see where each one breaks."
                </p>
            </section>
            <FirstAction />
            <Flow />
            <details class="start-about panel">
                <summary>"About the patterns: the articles, the aggregates, and Foldlab's own rules"</summary>
                <p>
                    "Foldlab runs the online store of Chris Richardson's articles "
                    <cite>"Developing Transactional Microservices Using Aggregates, Event Sourcing and CQRS"</cite>
                    " (InfoQ, parts 1 and 2) on a real event store kept in your browser."
                </p>
                <h3>"Aggregates"</h3>
                <p>
                    "An Order and a Customer are separate aggregates. They refer to each other by id only, and one transaction creates or updates one aggregate (Part 1, Inter-Aggregate References Must Use Primary Keys; One Transaction Creates or Updates One Aggregate)."
                </p>
                <p>
                    "Placing an order first looks the customer up through the Customer service's API: does this customer exist? That lookup is a read across services, not a transaction, and not a rule of the Order aggregate. An order for an unknown customer is refused by it, before any Order exists. A service's data is reached only through its API (Part 1, Microservices and Databases); the existence check itself is Foldlab's choice."
                </p>
                <h3>"A choreography instead of a distributed transaction"</h3>
                <p>"The credit check, as Part 1 tells it (Using an Event-Driven Architecture):"</p>
                <ol>
                    <li>"An Order is created with status NEW and publishes OrderCreated."</li>
                    <li>"The Customer consumes OrderCreated, reserves credit for the order and publishes CreditReserved."</li>
                    <li>"The Order consumes CreditReserved and changes its status to APPROVED."</li>
                </ol>
                <p>
                    "If the credit check fails, the Customer publishes CreditLimitExceeded. That event is not a change of the Customer's state: it records a failed attempt to break a business rule. The Order consumes it and becomes CANCELLED."
                </p>
                <p>
                    "A chain of local transactions linked by events like this one is a saga. The companion article “CQRS + Event Sourcing — microservice patterns” names the saga pattern for keeping data consistent without a distributed transaction (Eventual Consistency & Distributed Transactions). Here the saga is run by choreography: no central coordinator, each service reacts to events."
                </p>
                <h3>"Foldlab's own rules"</h3>
                <p>"The articles do not give these rules. Foldlab adds them so that every order reaches an end:"</p>
                <ul>
                    <li>"Cancelling an order releases its reserved credit (CreditReleased). It undoes the reservation, so in saga terms it is a compensating step. The companion article names the saga, not this step."</li>
                    <li>"A deleted customer reserves no more credit: an order for it is refused with CreditReservationRefused and cancelled."</li>
                    <li>"Shipping an order keeps its reservation: the credit is used, not freed."</li>
                    <li>"A credit limit never goes below what is reserved."</li>
                    <li>"A service also detects a duplicate by its cause: its aggregate already holds an event with that causation id. The article detects duplicates by the highest event id seen (Part 2, Benefits and Drawbacks of Event Sourcing); Foldlab does that too."</li>
                </ul>
                <h3>"Event sourcing"</h3>
                <p>
                    "Each aggregate is stored as its sequence of events, in rows of entity_type, entity_id, event_id, event_type and event_data. Its state is a functional fold over those events (Part 2, Developing Microservices with Event Sourcing). Because saving the events is the update, there is no separate step that could fail to publish them: the event store is a database and a message broker at once (Part 2, Implementing Event Sourcing)."
                </p>
                <p>
                    "A snapshot is the initial value of the fold: a load reads the latest snapshot and only the events after it (Part 2, Using Snapshots to Improve Performance)."
                </p>
                <h3>"CQRS and lag"</h3>
                <p>
                    "Some queries join data of several services, such as new customers with high value orders. No one service can run them, and an event store does not answer them simply or efficiently: finding customers with a low credit limit needs a complex, possibly slow query, because no column holds the limit (Part 2, Benefits and Drawbacks of Event Sourcing; Implementing Queries Using CQRS). They are answered by materialized views that subscribe to the events."
                </p>
                <p>
                    "Each view lives in whatever kind of database suits its queries (Part 2, Using CQRS, Table 1). Outside the browser, the customer view would live in a document store such as MongoDB; the order history in a document store or a key-value store such as Redis; the views of the two queries in a document store, queried by their fields. In Foldlab each view is kept with its checkpoint, in your browser's store."
                </p>
                <p>
                    "A view is updated after the command side, so a client that updates an aggregate and immediately reads the view may see the previous state (Part 2, Benefits and Drawback of CQRS). The lab lets you watch that lag by stepping the deliveries yourself."
                </p>
                <p>
                    "Every sentence Foldlab says about a pattern names the part and section it rests on, or says that it is Foldlab's own."
                </p>
                <h3>"How fast is it?"</h3>
                <p>
                    "The store's speed is measured against plain IndexedDB code in your own browser on the "
                    <a href=crate::address::href("/bench")>"benchmark page"</a>
                    "."
                </p>
                <h3>"Sources"</h3>
                <ul>
                    <li>"Chris Richardson, “Developing Transactional Microservices Using Aggregates, Event Sourcing and CQRS”, parts 1 and 2, InfoQ (part 2 posted on 13 January 2017)."</li>
                    <li>"Carlo (ezalabs.io), “CQRS + Event Sourcing — microservice patterns”, Medium, 2020 (a companion article: sagas)."</li>
                </ul>
            </details>
        </article>
    }
}

/// The one thing to do first: the first lesson, and the open lab for those who would rather try.
#[component]
fn FirstAction() -> impl IntoView {
    let first = FIRST_LESSON;
    view! {
        <nav class="start-actions" aria-label="Where to begin">
            <a href=href(&format!("/lessons/{}", first.id)) class="start-first">
                <span class="start-first-label">"Begin with the first lesson"</span>
                <span class="start-first-title">{first.title}</span>
            </a>
            <a href=href("/lab") class="start-open-lab">"Or open the lab and try it yourself"</a>
        </nav>
    }
}

/// One order's path through the services, as a row of boxes (a column on a narrow screen).
#[component]
fn Flow() -> impl IntoView {
    let stops: [(&str, &str); 5] = [
        ("You", "place an order"),
        ("Order service", "stores OrderCreated"),
        ("Event store", "keeps every event and hands each one on"),
        ("Customer service", "reserves credit: CreditReserved"),
        ("Views", "follow the events, a little later"),
    ];
    view! {
        <figure class="flow panel" aria-labelledby="flow-caption">
            <ol class="flow-steps">
                {stops
                    .into_iter()
                    .map(|(who, does)| view! {
                        <li class="flow-stop">
                            <strong>{who}</strong>
                            <span>{does}</span>
                        </li>
                    })
                    .collect_view()}
            </ol>
            <figcaption id="flow-caption">
                "One order's path. CreditReserved goes back through the event store to the Order service, which approves the order (Part 1, Using an Event-Driven Architecture)."
            </figcaption>
        </figure>
    }
}
